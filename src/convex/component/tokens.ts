// Lease tokens and numeric attempt ids, made inside mutations (Convex runs them deterministically).

import type { MutationCtx } from "./_generated/server.js";

/** 32 hex characters; Convex seeds Math.random per mutation, and a token only has to be unguessable by other workers. */
export function newLeaseToken(): string {
  let token = "";
  for (let index = 0; index < 4; index++) {
    token += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, "0");
  }
  return token;
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
