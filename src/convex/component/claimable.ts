// Finding the oldest queued run a worker can take, reading only runs of its runners and flows (an index range each).
import type { Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import type { capabilities as capabilitiesValidator } from "./validators.js";

type Capabilities = Infer<typeof capabilitiesValidator>;
type Run = Doc<"flowRuns">;

/** Older first: by `availableAt`, then by insertion, the order one index over all queued runs would give. */
function older(a: Run, b: Run): boolean {
  return a.availableAt < b.availableAt || (a.availableAt === b.availableAt && a._creationTime < b._creationTime);
}

/**
 * The queued runs of one (runner[, flow]) pair, oldest first, ready by `readyBy` when given. Claims
 * used to walk every queued run and skip those of other runners and flows: past 32,000 queued for
 * someone else, Convex's per-transaction read limit failed the claim before it reached its own run.
 */
function queuedOf(ctx: QueryCtx, runner: string, flow: string | undefined, readyBy: number | undefined) {
  if (flow === undefined) {
    return ctx.db.query("flowRuns").withIndex("by_runner_queue", (q) => {
      const pair = q.eq("status", "queued").eq("runner", runner);
      return readyBy === undefined ? pair : pair.lte("availableAt", readyBy);
    });
  }
  return ctx.db.query("flowRuns").withIndex("by_flow_queue", (q) => {
    const pair = q.eq("status", "queued").eq("runner", runner).eq("flow", flow);
    return readyBy === undefined ? pair : pair.lte("availableAt", readyBy);
  });
}

/**
 * The oldest queued run of these capabilities that is not excluded (ready by `readyBy` when given),
 * or null. Reads at most one run per (runner, flow) pair plus the excluded ones it steps over.
 */
export async function oldestClaimable(
  ctx: QueryCtx,
  capabilities: Capabilities,
  exclude: readonly string[] = [],
  readyBy?: number,
): Promise<Run | null> {
  const skip = new Set(exclude);
  const flows = capabilities.flows === "*" ? [undefined] : [...new Set(capabilities.flows)];
  let best: Run | null = null;
  for (const runner of new Set(capabilities.runners)) {
    for (const flow of flows) {
      for await (const run of queuedOf(ctx, runner, flow, readyBy)) {
        if (skip.has(run.runId)) continue;
        if (best === null || older(run, best)) best = run;
        break;
      }
    }
  }
  return best;
}
