// Lease tokens, derived run ids and numeric attempt ids, made inside the component's mutations.

import type { MutationCtx } from "./_generated/server.js";

/** 32 hex characters from Web Crypto (Convex offers crypto.getRandomValues in mutations; no node:crypto). */
export function newLeaseToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * `run_` and the first 24 hex digits of sha256(event id NUL flow NUL step [NUL "replay:" n]): the
 * local backend's derivation (src/store/ids.ts), with Web Crypto, since Convex has no node:crypto.
 */
export async function runIdFor(eventId: string, flow: string, step: string, replay = 0): Promise<string> {
  const text = `${eventId}\0${flow}\0${step}${replay > 0 ? `\0replay:${replay}` : ""}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `run_${hex.slice(0, 24)}`;
}

/** The next value of a named sequence (attempt ids are numbers in the lease protocol). */
export async function nextSequence(ctx: MutationCtx, name: string): Promise<number> {
  const row = await ctx.db
    .query("flowCounters")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  if (!row) {
    await ctx.db.insert("flowCounters", { name, value: 1 });
    return 1;
  }
  await ctx.db.patch(row._id, { value: row.value + 1 });
  return row.value + 1;
}
