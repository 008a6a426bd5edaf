// Executing one claim on this worker: find the flow here, refuse it if it differs, run it with the executor.
import { describeError } from "../core/errors.js";
import type { StepRun } from "../core/types.js";
import type { FlowCatalog } from "../engine/flow-catalog.js";
import type { OutputSink } from "../runner/runner.js";
import type { AttemptOutcome, Claim } from "../wire/protocol.js";
import type { Executor } from "./executors/executor.js";

export interface ClaimRunnerOptions {
  catalog: FlowCatalog;
  executor: Executor;
  workerId: string;
  /** Where an out-of-process executor finds the event's JSON (it is written there if missing). */
  eventFile: (claim: Claim) => string;
}

const RECENT_FLOWS_MS = 200;

export type RunClaim = (claim: Claim, io: { signal: AbortSignal; output: OutputSink }) => Promise<AttemptOutcome>;

/** The outcome a step's StepRun becomes; failures never throw. */
function outcomeOf(run: StepRun): AttemptOutcome {
  if (run.status === "failed") {
    return { status: "failed", result: run.result, error: run.result.message ?? "the step failed" };
  }
  return { status: "completed", result: run.result, error: null };
}

export function claimRunner(options: ClaimRunnerOptions): RunClaim {
  const { catalog, executor, workerId } = options;
  return async (claim, io) => {
    // A copy of the flows checked within the last 200 ms is as good as one checked now, and the stat
    // calls of a check cost ~5% of a no-op run's service CPU (bench P5); only a copy that differs
    // from the claim's is checked again before the run is refused.
    const recent = catalog.find(claim.flow, claim.step, RECENT_FLOWS_MS);
    const found =
      recent && recent.flow.manifestHash === claim.manifestHash ? recent : catalog.find(claim.flow, claim.step);
    if (!found) {
      return {
        status: "failed",
        result: null,
        error: `flow "${claim.flow}" step "${claim.step}" is not in ${catalog.cwd} on worker ${workerId} (it was removed, renamed or is broken there)`,
      };
    }
    if (claim.manifestHash === null) {
      return {
        status: "failed",
        result: null,
        error: `refused by worker ${workerId}: the backend no longer has flow "${claim.flow}" (removed or broken there), so it does not run its own copy`,
      };
    }
    if (found.flow.manifestHash !== claim.manifestHash) {
      return {
        status: "failed",
        result: null,
        error:
          `refused by worker ${workerId}: its copy of flow "${claim.flow}" differs from the backend's ` +
          `(${found.flow.manifestPath} is ${found.flow.manifestHash}, the backend has ${claim.manifestHash}); ` +
          "deploy the same flow.toml to both, then retry the run",
      };
    }
    try {
      const run = await executor.run(
        {
          flow: found.flow,
          step: found.step,
          event: claim.event,
          runId: claim.runId,
          attemptNumber: claim.attemptNumber,
          workerId,
          eventFile: options.eventFile(claim),
        },
        io,
      );
      return outcomeOf(run);
    } catch (error) {
      return { status: "failed", result: null, error: `the ${executor.name} executor failed: ${describeError(error)}` };
    }
  };
}
