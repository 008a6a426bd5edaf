// `codex-flows worker` settings: flags, then CODEX_FLOW_BACKEND_* / CODEX_FLOW_WORKER_* variables, then defaults.

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { type ClientConfig, resolveClientConfig } from "../client/client-config.js";
import { type ConvexConfig, type ConvexFlags, resolveConvexConfig } from "../convex/convex-config.js";
import { UsageError } from "../core/errors.js";
import { integer, pick } from "../core/settings.js";

const WORKER_ENV = "CODEX_FLOW_WORKER_";
export const WORKER_EXECUTORS = ["direct", "systemd-run"] as const;

export interface WorkerConfig {
  client: ClientConfig;
  /** Set when the worker leases from a Convex app (--convex) instead of a backend over HTTP. */
  convex?: ConvexConfig;
  /** The project whose flows this worker runs. */
  cwd: string;
  concurrency: number;
  workerId: string;
  /** Stop once nothing this worker can run is ready. */
  once: boolean;
  /** How long SIGTERM waits for running steps before they are stopped and given back as interrupted. */
  graceMs: number;
  executor: (typeof WORKER_EXECUTORS)[number];
  /** Where an out-of-process executor keeps event and result files. */
  stateDir: string;
}

export interface WorkerFlags extends ConvexFlags {
  url?: string;
  secret?: string;
  cwd?: string;
  concurrency?: unknown;
  workerId?: string;
  once?: boolean;
  graceMs?: unknown;
  executor?: string;
  stateDir?: string;
}

/** `worker:<host>:<pid>:<random>`: unique per start, and says where to look for the process. */
export function defaultWorkerId(): string {
  return `worker:${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

export function resolveWorkerConfig(flags: WorkerFlags, env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const cwd = resolve(flags.cwd ?? process.cwd());
  const setting = (flag: unknown, flagName: string, variable: string, fallback: number, min: number, max?: number) => {
    const [value, name] = pick(flag, flagName, env, variable, WORKER_ENV);
    return value === undefined ? fallback : integer(value, name, min, max);
  };
  const [executorValue, executorName] = pick(flags.executor, "executor", env, "EXECUTOR", WORKER_ENV);
  const executor = String(executorValue ?? "direct");
  if (!WORKER_EXECUTORS.includes(executor as WorkerConfig["executor"])) {
    throw new UsageError(`${executorName} must be one of ${WORKER_EXECUTORS.join(", ")}, got "${executor}"`);
  }
  const workerId = String(pick(flags.workerId, "worker-id", env, "ID", WORKER_ENV)[0] ?? defaultWorkerId());
  // `local:` marks the service's own workers: their runs are recovered at the service's start.
  if (workerId.startsWith("local:")) {
    throw new UsageError(
      `--worker-id must not start with "local:" (that prefix is the backend service's own), got "${workerId}"`,
    );
  }
  if (/[\s\0]/.test(workerId))
    throw new UsageError(`--worker-id must not hold spaces or control characters, got "${workerId}"`);
  const convex = resolveConvexConfig(flags, env);
  if (convex && flags.url !== undefined) {
    throw new UsageError("--url and --convex name two control planes; give one", {
      hint: "--url for `codex-flows backend serve`, --convex for a Convex app with the codex-flows component",
    });
  }
  return {
    client: resolveClientConfig({ url: flags.url, secret: flags.secret }, env),
    ...(convex ? { convex } : {}),
    cwd,
    concurrency: setting(flags.concurrency, "concurrency", "CONCURRENCY", 4, 1, 256),
    workerId,
    once: flags.once === true,
    graceMs: setting(flags.graceMs, "grace-ms", "GRACE_MS", 30_000, 0),
    executor: executor as WorkerConfig["executor"],
    stateDir: resolve(
      String(pick(flags.stateDir, "state-dir", env, "STATE_DIR", WORKER_ENV)[0] ?? resolve(cwd, ".codex/flow-worker")),
    ),
  };
}
