// Test helpers for the code-mode runner: the stand-in app-server as a command, a clean environment, its log.
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FlowDefinition, StepDefinition } from "../src/core/types.js";
import { discoverFlows, findFlow } from "../src/engine/discover.js";
import { FIXTURES, tempDir } from "./helpers.js";

export const PROJECT = join(FIXTURES, "code-mode-project");
export const FAKE_SERVER = join(FIXTURES, "code-mode-app-server.mjs");

/** Variables that choose or gate the app-server; tests start with none of them inherited. */
const CHOOSERS = [
  "CODEX_FLOWS_MODE",
  "CODEX_FLOWS_ENABLE_CODE_MODE",
  "CODEX_APP_SERVER_CODEX_COMMAND",
  "CODEX_APP_SERVER_CODEX_PACKAGE",
  "CODEX_FLOWS_CODE_MODE_SANDBOX",
];

/**
 * This process's environment with every code-mode setting blanked (empty counts as unset), so an inherited
 * value cannot leak in, even where the CLI helper merges this over process.env.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const blanks = Object.fromEntries(CHOOSERS.map((name) => [name, ""]));
  return { ...process.env, ...blanks, ...extra };
}

export interface FakeServer {
  /** An executable that starts the stand-in (what CODEX_APP_SERVER_CODEX_COMMAND points at). */
  command: string;
  log: string;
  /** The environment for a step: gate open, the stand-in chosen, behaviour `mode`. */
  env: NodeJS.ProcessEnv;
}

/** A wrapper script, so the fixture need not keep an executable bit, plus a log file in a temp folder. */
export function fakeServer(mode = "code-mode", extra: NodeJS.ProcessEnv = {}): FakeServer {
  const dir = tempDir("codex-flows-code-mode-");
  const command = join(dir, "fake-codex");
  writeFileSync(command, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_SERVER}" "$@"\n`);
  chmodSync(command, 0o755);
  const log = join(dir, "server.log");
  const env = cleanEnv({
    CODEX_FLOWS_MODE: "code-mode",
    CODEX_APP_SERVER_CODEX_COMMAND: command,
    CODE_MODE_FAKE_SERVER: mode,
    CODE_MODE_FAKE_LOG: log,
    ...extra,
  });
  return { command, log, env };
}

export interface LogEntry {
  event: string;
  pid?: number;
  argv?: string[];
  cwd?: string;
  probe?: string | null;
  message?: { id?: unknown; method?: string; params?: Record<string, unknown>; error?: unknown };
  answers?: { id: unknown; error?: { code: number; message: string } }[];
}

export function readLog(path: string): LogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogEntry);
}

/** The methods the stand-in received, in order. */
export function methodsReceived(path: string): string[] {
  return readLog(path).flatMap((entry) =>
    entry.event === "received" && entry.message?.method ? [entry.message.method] : [],
  );
}

export function demoFlow(): FlowDefinition {
  const flow = findFlow(discoverFlows(PROJECT), "code-mode-demo");
  if (!flow) throw new Error("fixture flow code-mode-demo not found");
  return flow;
}

export function demoStep(flow: FlowDefinition, name: string): StepDefinition {
  const step = flow.steps.find((candidate) => candidate.name === name);
  if (!step) throw new Error(`fixture step ${name} not found`);
  return step;
}
