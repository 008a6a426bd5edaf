// Argument validators of the lease functions: the wire protocol's messages (src/wire/protocol.ts) as Convex values.
import { v } from "convex/values";

export const capabilities = v.object({
  runners: v.array(v.string()),
  flows: v.union(v.array(v.string()), v.literal("*")),
});

export const claimRequest = v.object({
  workerId: v.string(),
  capabilities,
  exclude: v.optional(v.array(v.string())),
  waitMs: v.optional(v.number()),
});

export const outputChunk = v.object({ index: v.number(), stream: v.string(), text: v.string(), at: v.number() });

export const outcome = v.object({
  status: v.union(v.literal("completed"), v.literal("failed"), v.literal("canceled"), v.literal("interrupted")),
  result: v.union(v.any(), v.null()),
  error: v.union(v.string(), v.null()),
});

export const attemptRef = { attemptId: v.number(), leaseToken: v.string() };
