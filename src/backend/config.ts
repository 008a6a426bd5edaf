// The backend's resolved configuration: defaults, then the seed's CODEX_FLOW_BACKEND_* variables, then CLI flags.
import { resolve } from "node:path";
import { UsageError } from "../core/errors.js";
import { DEFAULT_HOST, DEFAULT_PORT, ENV, integer, isLoopback, pick } from "../core/settings.js";

export type ExecutorName = "direct" | "systemd-run";
export const EXECUTORS: readonly ExecutorName[] = ["direct", "systemd-run"];

/** How long SIGTERM waits for running steps, by default. */
export const DEFAULT_GRACE_MS = 30_000;
/** Under the project's `.codex/` folder, beside (not inside) `.codex/flows`. */
export const DEFAULT_DATA_DIR = ".codex/flow-backend";

export interface ServeConfig {
  /** The project folder whose flows the service runs. */
  cwd: string;
  dataDir: string;
  host: string;
  port: number;
  /** When set, every endpoint but /healthz needs a signature made with it. */
  secret?: string;
  executor: ExecutorName;
  /** Steps running at once. */
  concurrency: number;
  /** Allow a non-loopback host without a secret. */
  insecure: boolean;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** How long a claimed run's lease lasts without a heartbeat. */
  leaseMs: number;
  /** How long SIGTERM waits for running steps before they are killed and marked interrupted. */
  graceMs: number;
  /** The first retry's backoff; it doubles per attempt. */
  retryBackoffMs: number;
}

/** Flags as cac hands them over (numbers may arrive as strings or numbers). */
export interface ServeFlags {
  cwd?: string;
  dataDir?: string;
  host?: string;
  port?: unknown;
  secret?: string;
  executor?: string;
  concurrency?: unknown;
  insecure?: boolean;
  bodyLimit?: unknown;
  leaseMs?: unknown;
  graceMs?: unknown;
  retryBackoffMs?: unknown;
}

function intSetting(
  flags: ServeFlags,
  key: keyof ServeFlags,
  flagName: string,
  env: NodeJS.ProcessEnv,
  variable: string,
  fallback: number,
  min: number,
  max?: number,
): number {
  const [value, name] = pick(flags[key], flagName, env, variable);
  return value === undefined ? fallback : integer(value, name, min, max);
}

/**
 * Just the project folder and the data dir: all that `backup` and `exec-step` need, so settings only
 * `serve` reads (a non-loopback host, an odd port) can never make them fail.
 */
export function resolveLocation(
  flags: Pick<ServeFlags, "cwd" | "dataDir">,
  env: NodeJS.ProcessEnv = process.env,
): { cwd: string; dataDir: string } {
  const cwd = resolve(String(pick(flags.cwd, "cwd", env, "CWD")[0] ?? process.cwd()));
  const dataDirValue = pick(flags.dataDir, "data-dir", env, "DATA_DIR")[0];
  const dataDir = dataDirValue === undefined ? resolve(cwd, DEFAULT_DATA_DIR) : resolve(String(dataDirValue));
  return { cwd, dataDir };
}

/** Builds the one resolved configuration every part of the service uses. */
export function resolveServeConfig(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeConfig {
  const { cwd, dataDir } = resolveLocation(flags, env);
  const host = String(pick(flags.host, "host", env, "HOST")[0] ?? DEFAULT_HOST);
  const secretValue = pick(flags.secret, "secret", env, "SECRET")[0];
  const [executorValue, executorName] = pick(flags.executor, "executor", env, "EXECUTOR");
  const executor = String(executorValue ?? "direct");
  if (!EXECUTORS.includes(executor as ExecutorName)) {
    throw new UsageError(`${executorName} must be one of ${EXECUTORS.join(", ")}, got "${executor}"`);
  }
  const insecureValue = flags.insecure ?? ["1", "true"].includes(env[`${ENV}INSECURE`] ?? "");
  const config: ServeConfig = {
    cwd,
    dataDir,
    host,
    port: intSetting(flags, "port", "port", env, "PORT", DEFAULT_PORT, 0, 65_535),
    ...(secretValue === undefined ? {} : { secret: String(secretValue) }),
    executor: executor as ExecutorName,
    // 0: a pure control plane, whose runs all go to `codex-flows worker` processes.
    concurrency: intSetting(flags, "concurrency", "concurrency", env, "CONCURRENCY", 4, 0, 256),
    insecure: insecureValue === true,
    bodyLimit: intSetting(flags, "bodyLimit", "body-limit", env, "BODY_LIMIT", 1024 * 1024, 1),
    leaseMs: intSetting(flags, "leaseMs", "lease-ms", env, "LEASE_MS", 30_000, 300),
    graceMs: intSetting(flags, "graceMs", "grace-ms", env, "GRACE_MS", DEFAULT_GRACE_MS, 0),
    retryBackoffMs: intSetting(flags, "retryBackoffMs", "retry-backoff-ms", env, "RETRY_BACKOFF_MS", 1_000, 0),
  };
  if (!isLoopback(config.host) && config.secret === undefined && !config.insecure) {
    throw new UsageError(
      `refusing to listen on ${config.host} without a secret: anyone who can reach it could run steps`,
      {
        hint: "set CODEX_FLOW_BACKEND_SECRET (or --secret), bind 127.0.0.1, or pass --insecure if the network is trusted",
      },
    );
  }
  return config;
}
