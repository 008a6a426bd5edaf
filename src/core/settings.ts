// Settings layered as defaults, then the seed's CODEX_FLOW_BACKEND_* variables, then CLI flags: the shared pieces.
import { UsageError } from "./errors.js";

export const ENV = "CODEX_FLOW_BACKEND_";
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 7345;

export function integer(value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = typeof value === "number" ? value : Number(String(value).trim());
  if (String(value).trim() === "" || !Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got "${String(value)}"`);
  }
  return number;
}

/** The first defined of flag, environment variable and default, with the name to blame when it is invalid. */
export function pick(
  flag: unknown,
  flagName: string,
  env: NodeJS.ProcessEnv,
  variable: string,
  prefix = ENV,
): [unknown, string] {
  if (flag !== undefined && flag !== "") return [flag, `--${flagName}`];
  const value = env[`${prefix}${variable}`];
  if (value !== undefined && value !== "") return [value, `${prefix}${variable}`];
  return [undefined, ""];
}

/** Whether `host` only listens on this machine. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
