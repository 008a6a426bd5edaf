// Shared test helpers: run the built CLI as a real process, and make throwaway flow projects on disk.
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { inject, onTestFinished } from "vitest";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The CLI built for this test run by test/global-setup.ts. */
export const DIST = inject("distDir");
export const CLI = join(DIST, "cli.cjs");
export const FIXTURES = join(ROOT, "test", "fixtures");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  input?: string;
  env?: NodeJS.ProcessEnv;
}

/** Runs a command to its end with `input` on stdin, collecting its output and exit code. */
export function runProcess(command: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (text: string) => {
      stdout += text;
    });
    child.stderr.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Runs the built CLI (`node <dist>/cli.cjs ...args`). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runProcess(process.execPath, [CLI, ...args], options);
}

/** Parses a CLI result's stdout as JSON, with the output in the error when it is not. */
export function jsonOf<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
  }
}

/** A temp folder removed when the current test ends. */
export function tempDir(prefix = "codex-flows-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A temp copy of `test/fixtures/<name>`. */
export function copyFixture(name: string): string {
  const dir = tempDir(`codex-flows-${name}-`);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  return dir;
}

/** Writes `files` (relative path -> content) under `dir`, creating folders; returns `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return dir;
}

/** A flow.toml with one bun step; `extra` is appended to the step table. */
export function oneStepManifest(name: string, step = "main", type = "test.event", extra = ""): string {
  return [
    `name = "${name}"`,
    "version = 1",
    "",
    "[[steps]]",
    `name = "${step}"`,
    'runner = "bun"',
    `script = "exec/${step}.ts"`,
    extra,
    "",
    "[steps.trigger]",
    `type = "${type}"`,
    "",
  ].join("\n");
}

/** A bun step script that prints `result` as its FLOW_RESULT, after `before` (more script). */
export function resultScript(result: object, before = ""): string {
  return `${before}\nconsole.log("FLOW_RESULT " + JSON.stringify(${JSON.stringify(result)}));\n`;
}

/** Writes an event JSON file into `dir` and returns its path. */
export function writeEvent(dir: string, event: object, name = "event.json"): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(event));
  return path;
}

/** A project with flow `x` (step `main`, on `t` events, payload schema `p.schema.json` = `schema`). */
export function schemaProject(schema: string, extraFiles: Record<string, string> = {}): string {
  return writeFiles(tempDir(), {
    "flows/x/flow.toml": oneStepManifest("x", "main", "t").replace(
      '[steps.trigger]\ntype = "t"',
      '[steps.trigger]\ntype = "t"\nschema = "p.schema.json"',
    ),
    "flows/x/exec/main.ts": resultScript({ status: "completed" }),
    "flows/x/p.schema.json": schema,
    ...extraFiles,
  });
}
