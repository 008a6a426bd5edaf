// The control plane's lease length and retry backoff: one row, set by `events.configure`.
import type { QueryCtx } from "./_generated/server.js";

export { retryDelay } from "../../store/backoff.js";

export interface Settings {
  leaseMs: number;
  retryBackoffMs: number;
}

export const DEFAULT_SETTINGS: Settings = { leaseMs: 30_000, retryBackoffMs: 1_000 };

/** Events chained from events chained from ... stop at this depth (the local backend's DEFAULT_MAX_DEPTH; a test keeps them equal). */
export const MAX_CHAIN_DEPTH = 8;

export async function readSettings(ctx: QueryCtx): Promise<Settings> {
  const row = await ctx.db.query("flowSettings").first();
  return row ? { leaseMs: row.leaseMs, retryBackoffMs: row.retryBackoffMs } : DEFAULT_SETTINGS;
}
