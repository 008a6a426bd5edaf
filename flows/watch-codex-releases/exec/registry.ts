// The npm registry side of the watcher: which registry to ask, and the package's versions with their publish times.
import { execFileSync } from "node:child_process";

export const DEFAULT_REGISTRY = "https://registry.npmjs.org/";

/** The registry URL: CODEX_FLOW_NPM_REGISTRY, then [config] registry, then npm's own setting, then the public registry. */
export function registryUrl(configured: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.CODEX_FLOW_NPM_REGISTRY?.trim();
  if (fromEnv) return fromEnv;
  if (configured.trim()) return configured.trim();
  // npm exports its settings to scripts it runs; outside npm, ask it (a missing npm is not an error).
  const fromNpmEnv = env.npm_config_registry?.trim();
  if (fromNpmEnv) return fromNpmEnv;
  try {
    const answer = execFileSync("npm", ["config", "get", "registry"], {
      encoding: "utf8",
      timeout: 15_000,
      env,
    }).trim();
    if (/^https?:\/\//.test(answer)) return answer;
  } catch {}
  return DEFAULT_REGISTRY;
}

export interface Packument {
  versions: Record<string, unknown>;
  time: Record<string, string>;
}

/** `@scope/name` -> `@scope%2Fname`, the form registries serve scoped packuments under. */
function packumentPath(name: string): string {
  return name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : encodeURIComponent(name);
}

/** Fetches the full packument (the abbreviated one lacks publish times); throws a message saying what failed and how to fix it. */
export async function fetchPackument(registry: string, name: string, timeoutMs = 30_000): Promise<Packument> {
  const url = `${registry.replace(/\/+$/, "")}/${packumentPath(name)}`;
  const fix = "check the network, or point [config] registry or CODEX_FLOW_NPM_REGISTRY at a reachable registry";
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new Error(`cannot reach the npm registry at ${url} (${reason}); ${fix}`);
  }
  if (!response.ok) {
    throw new Error(`the npm registry at ${url} answered ${response.status} ${response.statusText}; ${fix}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the npm registry at ${url} did not answer with JSON; ${fix}`);
  }
  const packument = body as Partial<Packument>;
  if (typeof packument.versions !== "object" || packument.versions === null || typeof packument.time !== "object") {
    throw new Error(`the npm registry at ${url} answered without "versions" and "time" (not a full packument); ${fix}`);
  }
  return packument as Packument;
}
