// Backend test helpers: start `codex-flows backend serve` as a real process, call its API, wait for runs.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { onTestFinished } from "vitest";
import { FlowCatalog } from "../src/engine/flow-catalog.js";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { signBody, signRequest } from "../src/wire/signature.js";
import { SqliteLeaseProtocol, type SqliteLeaseProtocolOptions } from "../src/worker/sqlite/sqlite-lease-protocol.js";
import { CLI, copyFixture, tempDir } from "./helpers.js";

export interface Backend {
  url: string;
  child: ChildProcess;
  project: string;
  dataDir: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface BackendOptions {
  /** A project folder; default a fresh copy of test/fixtures/backend-basic. */
  project?: string;
  dataDir?: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** The test runner's environment without CODEX_FLOW_BACKEND_* settings, so only what a test passes applies. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith("CODEX_FLOW_BACKEND_")) env[name] = value;
  return { ...env, ...extra };
}

/**
 * Starts the built CLI's `backend serve` on an ephemeral loopback port; killed when the test ends.
 * Without `dataDir` no --data-dir is passed, so the service picks its default (<project>/.codex/flow-backend).
 */
export async function startBackend(options: BackendOptions = {}): Promise<Backend> {
  const project = options.project ?? copyFixture("backend-basic");
  const dataDir = options.dataDir ?? join(project, ".codex", "flow-backend");
  const dataDirArgs = options.dataDir === undefined ? [] : ["--data-dir", options.dataDir];
  const child = spawn(
    process.execPath,
    [
      CLI,
      "backend",
      "serve",
      "--cwd",
      project,
      ...dataDirArgs,
      ...(options.args?.includes("--port") ? [] : ["--port", "0"]),
      ...(options.args ?? []),
    ],
    { env: cleanEnv(options.env), stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    if (child.exitCode !== null) throw new Error(`backend exited with ${child.exitCode}:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`backend did not print its URL:\n${stdout}\n${stderr}`);
    if (!url) await sleep(20);
  }
  return {
    url,
    child,
    project,
    dataDir,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface ApiAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface ApiOptions {
  /** Signs the request with the timestamped request scheme. */
  secret?: string;
  /** The request signature's nonce: a fresh random one unless given; `false` sends none. */
  nonce?: string | false;
  /** Signs a POST body webhook style (signature of the raw body only). */
  bodySecret?: string;
  headers?: Record<string, string>;
  /** Raw body text, sent as is. */
  raw?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: test answers are checked by shape.
export async function api<T = any>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  options: ApiOptions = {},
): Promise<ApiAnswer<T>> {
  const text = options.raw ?? (body === undefined ? (method === "POST" ? "" : undefined) : JSON.stringify(body));
  const headers: Record<string, string> = { ...options.headers };
  if (text !== undefined) headers["content-type"] = "application/json";
  if (options.secret) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = options.nonce === false ? undefined : (options.nonce ?? randomBytes(16).toString("hex"));
    headers["x-flow-timestamp"] = timestamp;
    if (nonce !== undefined) headers["x-flow-nonce"] = nonce;
    headers["x-flow-signature-256"] = signRequest(options.secret, method, path, timestamp, text ?? "", nonce);
  }
  if (options.bodySecret) headers["x-flow-signature-256"] = signBody(options.bodySecret, text ?? "");
  const response = await fetch(`${url}${path}`, { method, headers, body: text });
  const answer = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    parsed = answer;
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/**
 * Sends a request with its path exactly as given: fetch() and URL would resolve `.` / `..` / `%2e`
 * segments before sending, which is the very thing some tests check the server does not do.
 */
// biome-ignore lint/suspicious/noExplicitAny: test answers are checked by shape.
export function rawApi<T = any>(url: string, method: string, rawPath: string, body?: string): Promise<ApiAnswer<T>> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: hostname, port, method, path: rawPath }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {}
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers))
          if (typeof value === "string") headers.set(name, value);
        resolve({ status: response.statusCode ?? 0, body: parsed as T, headers });
      });
    });
    outgoing.on("error", reject);
    if (body !== undefined) outgoing.setHeader("content-type", "application/json");
    outgoing.end(body);
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: run records are checked by shape.
export type Run = Record<string, any>;

/** Waits until every run of the event is finished and returns them (oldest first). */
export async function finishedRuns(
  url: string,
  eventId: string,
  count: number,
  options: ApiOptions = {},
): Promise<Run[]> {
  return eventually(
    async () => {
      const { body } = await api<{ runs: Run[] }>(
        url,
        "GET",
        `/runs?eventId=${encodeURIComponent(eventId)}`,
        undefined,
        options,
      );
      const runs = body.runs ?? [];
      return runs.length >= count && runs.every((run) => ["completed", "failed", "canceled"].includes(run.status))
        ? runs.reverse()
        : undefined;
    },
    30_000,
    `runs of ${eventId}`,
  );
}

/** Whether a process is gone; a zombie (state Z, waiting to be reaped) counts as dead. */
export function processGone(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  try {
    const text = readFileSync(stat, "utf8");
    const state = text.slice(text.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

/** Reads the pids the `slow` fixture step writes once it has started its grandchild. */
export async function slowPids(pidFile: string): Promise<{ step: number; grandchild: number; escaped?: number }> {
  return eventually(
    () => {
      if (!existsSync(pidFile)) return undefined;
      try {
        return JSON.parse(readFileSync(pidFile, "utf8")) as { step: number; grandchild: number; escaped?: number };
      } catch {
        return undefined;
      }
    },
    20_000,
    "the slow step to start",
  );
}

export { tempDir };

/**
 * The local store's lease protocol in process, on a new data dir with the backend-basic fixture's
 * flows (echo/say): a 60 s lease, no retry backoff. Closed (protocol, then store) after the test.
 */
export async function openLocalProtocol(options: Partial<SqliteLeaseProtocolOptions> = {}) {
  const db = await openStore(join(tempDir(), DATABASE_FILE));
  const protocol = new SqliteLeaseProtocol({
    db,
    catalog: new FlowCatalog(copyFixture("backend-basic")),
    leaseMs: 60_000,
    retryBackoffMs: 0,
    onCompleted: () => {},
    ...options,
  });
  onTestFinished(() => {
    protocol.close();
    db.close();
  });
  return { db, protocol };
}

/** A raw TCP connection to the service, for requests a client library would not send; closed when the test ends. */
export function rawConnection(url: string): { socket: Socket; answer: () => string } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  onTestFinished(() => {
    socket.destroy();
  });
  let answer = "";
  socket.setEncoding("utf8").on("data", (text: string) => {
    answer += text;
  });
  socket.on("error", () => {});
  return { socket, answer: () => answer };
}
