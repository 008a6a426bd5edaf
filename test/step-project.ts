// Test projects that have codex-flows "installed": node_modules/codex-flows is this package over the test build.
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { DIST, ROOT } from "./helpers.js";

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

export interface BunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `bun <script>` in `cwd` with `input` on stdin, as the bun runner does. */
export function runBun(script: string, cwd: string, input: string, env: NodeJS.ProcessEnv = {}): Promise<BunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(BUN, [script], { cwd, env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
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
