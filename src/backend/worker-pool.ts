// The service's worker pool: claims queued runs under a lease, heartbeats, streams output, completes them.
import { describeError } from "../core/errors.js";
import type { FlowResult, StepRun } from "../core/types.js";
import type { FlowCatalog } from "../engine/flow-catalog.js";
import { retryDelay } from "../store/backoff.js";
import { type Claim, claimRun, nextQueuedAt } from "../store/claim-run.js";
import type { AttemptOutcome } from "../store/complete-run.js";
import { heartbeat } from "../store/heartbeat.js";
import { type Database, withSynchronous } from "../store/sqlite.js";
import { planChainedEvents } from "../worker/chained-events.js";
import type { Executor } from "../worker/executors/executor.js";
import { type AttemptSettled, settleAttempt } from "../worker/settle-attempt.js";
import { eventFilePath } from "./event-files.js";
import type { OutputBuffer } from "./output-buffer.js";

export interface WorkerPoolOptions {
  db: Database;
  catalog: FlowCatalog;
  executor: Executor;
  output: OutputBuffer;
  dataDir: string;
  workerId: string;
  concurrency: number;
  leaseMs: number;
  retryBackoffMs: number;
  /** Every settlement of an attempt this pool ran (final or a retry), with the step's result and next events. */
  onSettled: (settled: SettledAttempt) => void;
  log: (line: string) => void;
}

export interface SettledAttempt extends AttemptSettled {
  claim: Claim;
  result: FlowResult | null;
  /** Next events the step asked for that were dropped, one line each. */
  warnings: string[];
}

interface ActiveRun {
  claim: Claim;
  controller: AbortController;
  /** Why it was aborted, which decides how it is recorded. */
  stop?: "cancel" | "lease-lost" | "shutdown";
  done: Promise<void>;
}

/** Longest sleep between claims when retries wait on backoff; new events wake the pool at once anyway. */
const MAX_IDLE_MS = 60_000;

export class WorkerPool {
  /** Keyed by attempt id: a run may be claimed again (after a lost lease) while its old attempt is still stopping. */
  private readonly active = new Map<number, ActiveRun>();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerPoolOptions) {}

  get running(): number {
    return this.active.size;
  }

  /** The attempts this pool is executing: alive whatever their lease says, so they are never expired under it. */
  get liveAttempts(): ReadonlySet<number> {
    return new Set(this.active.keys());
  }

  private activeRunIds(): string[] {
    return [...this.active.values()].map((active) => active.claim.runId);
  }

  /** Claims as many runs as there are free slots; called on new work and whenever a slot frees up. */
  wake(): void {
    if (this.stopped) return;
    const { db, workerId, leaseMs } = this.options;
    while (this.active.size < this.options.concurrency) {
      let claim: Claim | undefined;
      try {
        const exclude = this.activeRunIds();
        claim = withSynchronous(db, "NORMAL", () => claimRun(db, { workerId, leaseMs, now: Date.now(), exclude }));
      } catch (error) {
        this.options.log(`error: could not claim a run: ${describeError(error)}`);
        break;
      }
      if (!claim) break;
      this.start(claim);
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped || this.active.size >= this.options.concurrency) return;
    const at = nextQueuedAt(this.options.db, this.activeRunIds());
    if (at === undefined) return;
    const delay = Math.min(MAX_IDLE_MS, Math.max(0, at - Date.now()));
    this.timer = setTimeout(() => this.wake(), delay);
  }

  /** Kills a run this pool is executing; false when it is not running here. */
  cancel(runId: string): boolean {
    let found = false;
    for (const active of this.active.values()) {
      if (active.claim.runId !== runId) continue;
      active.stop ??= "cancel";
      active.controller.abort(new Error("canceled"));
      found = true;
    }
    return found;
  }

  private start(claim: Claim): void {
    const controller = new AbortController();
    const active: ActiveRun = { claim, controller, done: Promise.resolve() };
    this.active.set(claim.attemptId, active);
    active.done = this.execute(active)
      .catch((error) => this.options.log(`error: run ${claim.runId}: ${describeError(error)}`))
      .finally(() => {
        this.active.delete(claim.attemptId);
        this.options.output.done(claim.attemptId);
        this.wake();
      });
  }

  private async execute(active: ActiveRun): Promise<void> {
    const { claim } = active;
    const { db, leaseMs, output } = this.options;
    const found = this.options.catalog.find(claim.flow, claim.step);
    let run: StepRun | undefined;
    if (found) {
      const beat = setInterval(
        () => {
          try {
            const state = withSynchronous(db, "NORMAL", () =>
              heartbeat(db, {
                attemptId: claim.attemptId,
                leaseToken: claim.leaseToken,
                leaseMs,
                now: Date.now(),
              }),
            );
            if (!state.held) active.stop ??= "lease-lost";
            else if (state.cancelRequested) active.stop ??= "cancel";
            if (active.stop) active.controller.abort(new Error(active.stop));
          } catch (error) {
            this.options.log(`warning: heartbeat for ${claim.runId} failed: ${describeError(error)}`);
          }
        },
        Math.max(100, Math.floor(leaseMs / 3)),
      );
      try {
        run = await this.options.executor.run(
          {
            flow: found.flow,
            step: found.step,
            event: claim.event,
            runId: claim.runId,
            attemptNumber: claim.attemptNumber,
            workerId: this.options.workerId,
            eventFile: eventFilePath(this.options.dataDir, claim.eventId),
          },
          {
            signal: active.controller.signal,
            output: (stream, text) => output.push(claim.runId, claim.attemptId, stream, text),
          },
        );
      } finally {
        clearInterval(beat);
      }
    }
    // A shutdown leaves its runs to expireLeases (interrupted); a lost lease belongs to someone else now.
    if (active.stop === "shutdown" || active.stop === "lease-lost") {
      output.flush();
      return;
    }
    const outcome = outcomeOf(active, run, claim);
    const chain =
      outcome.status === "completed"
        ? planChainedEvents(claim, outcome.result, this.options.catalog)
        : { events: [], warnings: [] };
    const settled = settleAttempt(db, output, {
      claim,
      outcome,
      chain,
      retryDelayMs: (attempt) => retryDelay(this.options.retryBackoffMs, attempt),
    });
    if (settled) this.options.onSettled({ ...settled, claim, result: outcome.result, warnings: chain.warnings });
  }

  /**
   * Stops claiming, gives running steps `graceMs` to finish, then kills the rest. Killed runs are not
   * completed here: the caller marks them interrupted (or queues their retry) with expireLeases.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const all = () => Promise.all([...this.active.values()].map((active) => active.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), graceMs);
    });
    const finished = await Promise.race([all(), graceOver]);
    clearTimeout(timer);
    if (finished === "late") {
      for (const active of this.active.values()) {
        active.stop = "shutdown";
        active.controller.abort(new Error("the service is stopping"));
      }
      await all();
    }
  }
}

function outcomeOf(active: ActiveRun, run: StepRun | undefined, claim: Claim): AttemptOutcome {
  if (!run) {
    return {
      status: "failed",
      result: null,
      error: `flow "${claim.flow}" step "${claim.step}" no longer exists in the project (it was removed or broken)`,
    };
  }
  if (active.stop === "cancel") return { status: "canceled", result: null, error: "canceled" };
  if (run.status === "failed") {
    return { status: "failed", result: run.result, error: run.result.message ?? "the step failed" };
  }
  return { status: "completed", result: run.result, error: null };
}
