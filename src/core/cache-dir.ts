// The per-user cache folder shared by the validator cache and the CLI's code cache.
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * CODEX_FLOWS_CACHE_DIR, else $XDG_CACHE_HOME/codex-flows, else ~/.cache/codex-flows; undefined for
 * `CODEX_FLOWS_CACHE_DIR=off`. It is per user on purpose: what is cached there gets executed.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.CODEX_FLOWS_CACHE_DIR;
  if (configured === "off") return undefined;
  return configured || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "codex-flows");
}
