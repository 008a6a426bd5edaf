// The component's tables: generic flow control-plane state only (apps keep auth and domain state).
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export const runStatus = v.union(
  v.literal("queued"),
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
  v.literal("canceled"),
);

export const attemptStatus = v.union(
  v.literal("running"),
  v.literal("completed"),
  v.literal("failed"),
  v.literal("canceled"),
  v.literal("interrupted"),
);

export const skippedStep = v.object({ flow: v.string(), step: v.string(), reason: v.string() });

/** One step as synced from a flow.toml: its trigger's payload schema travels with it. */
export const syncedStep = v.object({
  name: v.string(),
  runner: v.string(),
  triggerType: v.string(),
  /** The trigger's JSON Schema document as JSON text (Convex fields cannot start with `$`); absent when any payload fits. */
  schema: v.optional(v.string()),
  /** The URL the schema is checked under when it has no `$id`, so its relative `$ref`s resolve as locally. */
  schemaUrl: v.optional(v.string()),
  /** The sibling schema files its `$ref`s reach, each as JSON text under the URL the local backend gives it. */
  schemaFiles: v.optional(v.array(v.object({ url: v.string(), text: v.string() }))),
  retries: v.number(),
});

export default defineSchema({
  /** Lease length and retry backoff, one row (defaults when absent). */
  flowSettings: defineTable({ leaseMs: v.number(), retryBackoffMs: v.number() }),
  /** The flows this control plane matches events against, as the app last synced them. */
  flowManifests: defineTable({
    name: v.string(),
    version: v.union(v.number(), v.string()),
    manifestHash: v.string(),
    steps: v.array(syncedStep),
    syncedAt: v.number(),
  }).index("by_name", ["name"]),
  flowEvents: defineTable({
    eventId: v.string(),
    type: v.string(),
    /** The whole FlowEvent as accepted, as JSON text (payload fields may start with `$`, which Convex fields cannot). */
    body: v.string(),
    parentEventId: v.optional(v.string()),
    /** 0 for an event fired from outside; n for the n-th event of a chain. */
    depth: v.number(),
    /** How many times the event was replayed. */
    replays: v.number(),
    /** Steps that did not match, each with its reason (as of the first dispatch). */
    skipped: v.array(skippedStep),
    receivedAt: v.number(),
  }).index("by_eventId", ["eventId"]),
  flowRuns: defineTable({
    /** `run_<24 hex>` from (event id, flow, step, replay), as the local backend derives it. */
    runId: v.string(),
    eventId: v.string(),
    flow: v.string(),
    step: v.string(),
    runner: v.string(),
    status: runStatus,
    /** 0 for the run made when the event was accepted, n for the n-th replay's. */
    replay: v.number(),
    attemptCount: v.number(),
    maxAttempts: v.number(),
    /** A queued run is claimable from this time (a retry waits out its backoff). */
    availableAt: v.number(),
    cancelRequested: v.boolean(),
    resultStatus: v.optional(v.string()),
    error: v.optional(v.string()),
    startedAt: v.optional(v.number()),
    finishedAt: v.optional(v.number()),
    updatedAt: v.number(),
    /** Next events the step asked for that were dropped (depth limit, bad entries), one line each. */
    chainWarnings: v.optional(v.array(v.string())),
  })
    .index("by_runId", ["runId"])
    .index("by_status", ["status", "availableAt"])
    // What claims read: the queued runs of one runner (a worker taking any flow), or of one runner
    // and flow, so a backlog for other runners or flows is never scanned (src/convex/component/claimable.ts).
    .index("by_runner_queue", ["status", "runner", "availableAt"])
    .index("by_flow_queue", ["status", "runner", "flow", "availableAt"])
    .index("by_event", ["eventId"]),
  /** One row per try of a run; the open one holds the lease. */
  flowAttempts: defineTable({
    /**
     * The protocol's numeric attempt id (Convex ids are strings; the lease protocol's are numbers),
     * derived from the run id and `number` (tokens.ts `attemptIdFor`), so claims share no counter.
     */
    attemptId: v.number(),
    runId: v.id("flowRuns"),
    number: v.number(),
    workerId: v.string(),
    leaseToken: v.string(),
    leaseExpiresAt: v.number(),
    heartbeatAt: v.number(),
    startedAt: v.number(),
    status: attemptStatus,
    error: v.optional(v.string()),
    finishedAt: v.optional(v.number()),
    /** True when the worker reported the end (so a resent complete is a duplicate, not a lost lease). */
    endedByWorker: v.boolean(),
    /**
     * The attempt this one's `complete` claimed for the freed slot (`claimNext`): a resent complete
     * (its answer was lost) hands that claim back while nobody has started it.
     */
    nextAttemptId: v.optional(v.number()),
  })
    .index("by_attemptId", ["attemptId"])
    .index("by_run", ["runId", "number"]),
  /** Readable progress chunks, in order per attempt (a live view reads them incrementally). */
  flowOutputEvents: defineTable({
    runId: v.id("flowRuns"),
    attemptId: v.number(),
    index: v.number(),
    stream: v.string(),
    text: v.string(),
    at: v.number(),
  })
    .index("by_attempt", ["attemptId", "index"])
    .index("by_run", ["runId"]),
  /** Each attempt's FLOW_RESULT, as the step printed it. */
  flowResults: defineTable({
    runId: v.id("flowRuns"),
    attemptId: v.number(),
    status: v.string(),
    /** As JSON text, like event bodies. */
    result: v.string(),
    at: v.number(),
  }).index("by_run", ["runId"]),
  /**
   * Sequences. No longer written (attempt ids are derived per run); kept so a deployment holding rows
   * from before still validates against this schema.
   */
  flowCounters: defineTable({ name: v.string(), value: v.number() }).index("by_name", ["name"]),
});
