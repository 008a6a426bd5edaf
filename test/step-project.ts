// Test projects that have codex-flows "installed": node_modules/codex-flows is this package over the test build.
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { type CliResult, DIST, ROOT, runProcess } from "./helpers.js";

export const BUN = join(ROOT, "node_modules", ".bin", "bun");

/**
 * Makes `import "codex-flows/step"` resolve in `dir` the way it does after `npm install codex-flows`:
 * through package.json "exports" to dist/step.js (here the build made for this test run).
 */
export function installPackage(dir: string): void {
  const target = join(dir, "node_modules", "codex-flows");
  mkdirSync(target, { recursive: true });
  copyFileSync(join(ROOT, "package.json"), join(target, "package.json"));
  symlinkSync(DIST, join(target, "dist"), "dir");
}

export type BunResult = CliResult;

/** Runs `bun <script>` in `cwd` with `input` on stdin, as the bun runner does. */
export function runBun(script: string, cwd: string, input: string, env: NodeJS.ProcessEnv = {}): Promise<BunResult> {
  return runProcess(BUN, [script], { cwd, env, input });
}

/** A run context as the engine builds it, for a step reading `payload` with `config`. */
export function contextJson(payload: unknown, config: Record<string, unknown> = {}): string {
  return JSON.stringify({
    flow: {
      name: "demo",
      version: 1,
      root: "/tmp/demo",
      step: "main",
      config,
      event: { id: "evt-1", type: "demo.run", receivedAt: "2026-01-01T00:00:00.000Z", payload },
    },
  });
}

/** The parsed JSON of the last `FLOW_RESULT ` line of `stdout`. */
export function lastResult(stdout: string): Record<string, unknown> {
  const line = stdout
    .split("\n")
    .reverse()
    .find((text) => text.startsWith("FLOW_RESULT "));
  if (!line) throw new Error(`no FLOW_RESULT line in:\n${stdout}`);
  return JSON.parse(line.slice("FLOW_RESULT ".length)) as Record<string, unknown>;
}
