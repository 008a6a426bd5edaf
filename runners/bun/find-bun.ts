// Locating the Bun binary: CODEX_FLOWS_BUN, then PATH, then node_modules/.bin above the project or codex-flows.
import { accessSync, constants } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RunnerError } from "../../src/core/errors.js";

/*
 * Where a candidate was not found, and when. Each step's search walks PATH and every ancestor of its
 * flow: `list` of 1,000 flows made 50,000 access() calls, 40% of its time (bench P6). Flows share
 * PATH and most ancestors, so misses are remembered for a second: long enough for one command, short
 * enough that a service sees a Bun installed while it runs at the next step.
 */
const MISS_TTL_MS = 1_000;
const missedAt = new Map<string, number>();
/** Monotonic milliseconds; not performance.now(), whose global loads perf_hooks before a step starts (bench P2). */
const nowMs = () => Number(process.hrtime.bigint() / 1_000_000n);

function isExecutable(path: string): boolean {
  const missed = missedAt.get(path);
  if (missed !== undefined && nowMs() - missed < MISS_TTL_MS) return false;
  try {
    accessSync(path, constants.X_OK);
    missedAt.delete(path);
    return true;
  } catch {
    missedAt.set(path, nowMs());
    return false;
  }
}

function* ancestors(start: string): Generator<string> {
  let dir = start;
  while (true) {
    yield dir;
    const parent = dirname(dir);
    if (parent === dir) return;
    dir = parent;
  }
}

function fromPath(env: NodeJS.ProcessEnv, name = "bun"): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** A path (relative to where codex-flows started, not to the step's cwd), or a bare name looked up on PATH. */
function overrideOf(value: string, env: NodeJS.ProcessEnv): string {
  return value.includes("/") ? resolve(value) : (fromPath(env, value) ?? value);
}

function fromNodeModules(startDirs: string[]): string | undefined {
  for (const start of startDirs) {
    for (const dir of ancestors(start)) {
      const candidate = join(dir, "node_modules", ".bin", "bun");
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

const found = new Map<string, string>();

/**
 * The Bun executable to run steps with. `projectDir` is searched for `node_modules/.bin/bun`
 * before codex-flows' own install folder. Throws a RunnerError saying how to get Bun.
 */
export function findBun(env: NodeJS.ProcessEnv, projectDir: string): string {
  const override = env.CODEX_FLOWS_BUN ? overrideOf(env.CODEX_FLOWS_BUN, env) : undefined;
  if (override) {
    if (isExecutable(override)) return override;
    throw new RunnerError(`CODEX_FLOWS_BUN points at "${override}", which is not an executable file`, {
      hint: "set CODEX_FLOWS_BUN to the path of a bun binary, or unset it to search PATH",
    });
  }
  const key = `${env.PATH ?? ""}\0${projectDir}`;
  const cached = found.get(key);
  if (cached) return cached;
  const bun = fromPath(env) ?? fromNodeModules([projectDir, dirname(fileURLToPath(import.meta.url))]);
  if (!bun) {
    throw new RunnerError("Bun was not found (looked at CODEX_FLOWS_BUN, PATH and node_modules/.bin)", {
      hint: "install it with `npm install --save-dev bun` or from https://bun.sh, or set CODEX_FLOWS_BUN=/path/to/bun",
    });
  }
  found.set(key, bun);
  return bun;
}
