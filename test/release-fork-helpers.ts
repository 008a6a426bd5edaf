// The fork flow's test world: an upstream repository with release tags, a fork checkout with a patch stack, a bare push remote.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fakeServer, readLog } from "./code-mode-helpers.js";
import { tempDir } from "./helpers.js";
import { bareRemote, commitFiles, git, initRepo, releaseEnv, releaseProject, setConfig } from "./release-helpers.js";

export const FORK_FLOW = "peezy-codex-fork";
export const FORK_STEP = "rebase-fork";
export const BRANCH = "code-mode-exec-hooks";
export const OLD_TAG = "rust-v0.170.0";
export const NEW_TAG = "rust-v0.171.0";

export interface ForkWorld {
  upstream: string;
  fork: string;
  /** The fork's bare `origin`, holding the branch as it was before the run. */
  remote: string;
  before: string;
}

/**
 * Upstream: `rust-v0.170.0`, then more work and `rust-v0.171.0` (or `tags`) (tagged after the fork was cloned, so only a
 * fetch brings it). Fork: the branch off 0.170.0 with three patch commits (`patches` replaces them), no
 * `upstream` remote, and a bare `origin` it was pushed to.
 */
export function forkWorld(patches?: Record<string, string>[], tags = { old: OLD_TAG, new: NEW_TAG }): ForkWorld {
  const root = tempDir("codex-flows-fork-");
  const upstream = initRepo(join(root, "upstream"));
  commitFiles(
    upstream,
    { "upstream.txt": "line one\nline two\n", "codex-rs/lib.rs": "fn main() {}\n" },
    "upstream 0.170",
  );
  git(upstream, "tag", tags.old);

  const fork = join(root, "fork");
  git(root, "clone", "--quiet", upstream, fork);
  initRepo(fork); // identity only; the clone is already a repository
  git(fork, "remote", "remove", "origin");
  git(fork, "checkout", "--quiet", "-b", BRANCH, tags.old);
  const stack = patches ?? [
    { "patches/a.txt": "patch a\n" },
    { "patches/b.txt": "patch b\n" },
    { "codex-rs/code_mode.rs": "// code mode exec hooks\n" },
  ];
  stack.forEach((files, index) => {
    commitFiles(fork, files, `peezy patch ${index + 1}`);
  });
  const remote = bareRemote(fork, BRANCH);

  commitFiles(upstream, { "upstream.txt": "line one\nline two, changed upstream\n" }, "upstream 0.171");
  git(upstream, "tag", tags.new);
  return { upstream, fork, remote, before: git(fork, "rev-parse", "HEAD") };
}

/** The edit of the fork flow's flow.toml: `verify`, a local upstream URL, no npm check, then `more`. */
export function forkEdit(world: ForkWorld, verify: string[], more: (toml: string) => string = (toml) => toml) {
  return (toml: string) =>
    more(
      setConfig(
        setConfig(setConfig(toml, "verify", JSON.stringify(verify)), "upstream_url", JSON.stringify(world.upstream)),
        "package",
        '""',
      ),
    );
}

/** A project holding the fork flow edited by `forkEdit`. */
export function forkProject(world: ForkWorld, verify: string[], more?: (toml: string) => string): string {
  return releaseProject([FORK_FLOW], { [FORK_FLOW]: forkEdit(world, verify, more) });
}

/** The environment of a fork run: Code Mode on, the stand-in app-server as Codex, the seed's two variables. */
export function forkEnv(world: ForkWorld, extra: NodeJS.ProcessEnv = {}) {
  const server = fakeServer();
  const env = releaseEnv({
    CODEX_FLOWS_MODE: "code-mode",
    CODEX_FLOWS_ENABLE_CODE_MODE: "",
    CODEX_APP_SERVER_CODEX_PACKAGE: "",
    CODEX_FLOWS_CODE_MODE_SANDBOX: "",
    CODEX_APP_SERVER_CODEX_COMMAND: server.command,
    CODE_MODE_FAKE_SERVER: "code-mode",
    CODE_MODE_FAKE_LOG: server.log,
    PEEZY_CODEX_REPO: world.fork,
    PEEZY_CODEX_TARGET_BRANCH: BRANCH,
    ...extra,
  });
  return { env, log: server.log };
}

/** The commands the stand-in ran for the script through tools.exec_command, in order. */
export function commandsRun(log: string): string[] {
  return readLog(log).flatMap((entry) => {
    const cmd = (entry as { cmd?: string }).cmd;
    return entry.event === "exec" && cmd ? [cmd] : [];
  });
}

export function rebaseInProgress(fork: string): boolean {
  return existsSync(join(fork, ".git", "rebase-merge")) || existsSync(join(fork, ".git", "rebase-apply"));
}
