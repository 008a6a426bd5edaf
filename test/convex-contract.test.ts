// @vitest-environment edge-runtime
// The lease protocol's contract suite over Convex: the worker's ConvexLeaseProtocol, through the example app's wrappers, in convex-test.
import { ConvexLeaseProtocol } from "../src/convex/convex-lease-protocol.js";
import { eventually } from "./backend-helpers.js";
import { convexApp, SERVICE_SECRET, setUp, testCaller } from "./convex-helpers.js";
import { copyFixture } from "./helpers.js";
import { type ContractRun, type ContractSetup, describeLeaseProtocol, LEASE_MS } from "./lease-protocol-suite.js";

const FINISHED = ["completed", "failed", "canceled"];

async function open(): Promise<ContractSetup> {
  const t = convexApp();
  const app = await setUp(t, copyFixture("backend-basic"), { leaseMs: LEASE_MS, retryBackoffMs: 0 });
  const caller = testCaller(t);
  const protocol = new ConvexLeaseProtocol({ caller, secret: SERVICE_SECRET, pollMs: 100 });
  const readRun = (runId: string) => app.query<ContractRun | null>("getRun", { runId }).then((run) => run ?? undefined);
  return {
    protocol,
    plane: {
      dispatch: (event) => app.mutation("fireEvent", { event }),
      cancel: async (runId) => {
        await app.mutation("cancelRun", { runId });
        return eventually(
          async () => {
            const run = await readRun(runId);
            return run && FINISHED.includes(run.status) ? run : undefined;
          },
          10_000,
          "the canceled run",
        );
      },
      readRun,
      countTransactions: () => {
        const from = caller.calls;
        return () => caller.calls - from;
      },
    },
  };
}

describeLeaseProtocol("convex", open);
