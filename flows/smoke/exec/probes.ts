// The smoke flow's probes: each answers one question about the host with ok and a line of detail.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";

export interface Probe {
  ok: boolean;
  detail: string;
}

const ok = (detail: string): Probe => ({ ok: true, detail });
const bad = (detail: string): Probe => ({ ok: false, detail });

/** Runs a command without a shell; its trimmed stdout, or undefined when it failed. */
function output(command: string, args: string[], cwd?: string): string | undefined {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: process.env });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** Where `command` resolves: a path as given, or a name looked up in PATH. */
export function which(command: string): string | undefined {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes("/")) return executable(command) ? command : undefined;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && executable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

export function bun(): Probe {
  const version = process.versions.bun;
  return version ? ok(`Bun ${version} at ${process.execPath}`) : bad("this step is not running under Bun");
}

export function git(): Probe {
  const version = output("git", ["--version"]);
  return version ? ok(version) : bad("git was not found in PATH");
}

/** A command line's program resolves here (nothing is run: `npx -y ...` would download a package). */
export function commandResolves(line: string, setBy: string): Probe {
  const program = line.trim().split(/\s+/)[0] ?? "";
  const found = program ? which(program) : undefined;
  return found ? ok(`${line} (${setBy}): ${program} is ${found}`) : bad(`${line} (${setBy}): ${program} not found`);
}

/**
 * A git checkout that a release flow could use now: it exists, is a repository, has no rebase in progress and
 * nothing uncommitted (under `path` only, when given), and has `branch` when given.
 */
export function checkout(repo: string, setBy: string, options: { path?: string; branch?: string } = {}): Probe {
  if (!repo) return bad(`not configured (${setBy})`);
  if (!existsSync(repo)) return bad(`${repo} (${setBy}) does not exist`);
  if (output("git", ["rev-parse", "--git-dir"], repo) === undefined) return bad(`${repo} is not a git checkout`);
  const dirs = output("git", ["rev-parse", "--git-path", "rebase-merge", "--git-path", "rebase-apply"], repo) ?? "";
  if (dirs.split("\n").some((dir) => dir && existsSync(join(repo, dir)))) {
    return bad(`${repo} has a rebase in progress`);
  }
  const status = output("git", ["status", "--porcelain=v1", "--", ...(options.path ? [options.path] : [])], repo);
  if (status === undefined) return bad(`git status failed in ${repo}`);
  const where = options.path ? `${options.path} in ${repo}` : repo;
  if (status) return bad(`${where} has uncommitted changes:\n${status}`);
  if (
    options.branch &&
    output("git", ["rev-parse", "--verify", "--quiet", `refs/heads/${options.branch}`], repo) === undefined
  ) {
    return bad(`${repo} has no branch ${options.branch}`);
  }
  const head = output("git", ["rev-parse", "--short", "HEAD"], repo);
  return ok(`${where} is clean at ${head}${options.branch ? `, branch ${options.branch} present` : ""}`);
}

/** The data dir can be created and written: a probe file is written and removed. */
export function writable(dir: string, setBy: string): Probe {
  const probe = join(dir, `.smoke-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "smoke\n");
    rmSync(probe);
    return ok(`${dir} (${setBy}) is writable`);
  } catch (error) {
    return bad(`${dir} (${setBy}) is not writable: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
}
