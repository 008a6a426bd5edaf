// The one worker loop: claim while slots are free, heartbeat, stream output, complete; stop on cancel or lost lease.
import { setTimeout as sleep } from "node:timers/promises";
import { describeError } from "../core/errors.js";
import {
  type AttemptOutcome,
  type AttemptRef,
  CallRefusedError,
  type Capabilities,
  type Claim,
  type ClaimRequest,
  type CompleteAnswer,
  type CompleteExtras,
  LeaseLostError,
  type OutputChunkInput,
} from "../wire/protocol.js";
import type { LeaseProtocol } from "./lease-protocol.js";
import { LinkState } from "./link-state.js";
import { OutputBatcher } from "./output-batcher.js";
import type { RunClaim } from "./run-claim.js";

export interface WorkerLoopOptions {
  protocol: LeaseProtocol;
  workerId: string;
  concurrency: number;
  capabilities: () => Promise<Capabilities>;
  runClaim: RunClaim;
  /** How long one claim waits for work (a long poll over HTTP). */
  claimWaitMs: number;
  /** What the control plane is called in log lines ("the backend at http://..."). */
  controlPlane: string;
  log: (line: string) => void;
  /** Each attempt this loop settled, with the control plane's answer. */
  onSettled?: (claim: Claim, outcome: AttemptOutcome, answer: CompleteAnswer) => void;
  /**
   * Stop a step whose lease ran out by this worker's clock (default on). Off for the service's own
   * pool: its control plane never expires the attempts it runs, so a pause (SIGSTOP) loses nothing.
   */
  leaseWatchdog?: boolean;
  /** The error a step stopped by `stop()` is reported with, after "interrupted: ". */
  stoppedReason?: string;
  /** With `once`: stop claiming as soon as a claim finds nothing (the queue has nothing this worker can run). */
  once?: boolean;
}

/** Why a running step was stopped, which decides what is reported for it. */
type StopReason = "cancel" | "lease-lost" | "shutdown";

interface ActiveRun {
  claim: Claim;
  ref: AttemptRef;
  controller: AbortController;
  stop?: StopReason;
  /** By this worker's clock: past it, the control plane has given the run to someone else. */
  leaseUntil: number;
  /** The run went back to the queue (a retry, or a lost lease) as this attempt ended. */
  requeued?: boolean;
  /** A heartbeat is on its way: the next tick does not send another (a slow link would pile them up). */
  beating: boolean;
  done: Promise<void>;
}

const RETRY_FIRST_MS = 250;
const RETRY_MAX_MS = 5_000;

export class WorkerLoop {
  /** Keyed by attempt id: a run may be claimed again (after a lost lease) while its old attempt is still stopping. */
  private readonly active = new Map<number, ActiveRun>();
  private readonly link: LinkState;
  private stopping = false;
  /** The stop's grace period is over: a run that still arrives is stopped at once. */
  private graceOver = false;
  private readonly claimAbort = new AbortController();
  /** The claim on its way, aborted to send a fresh one when the runs it excludes change. */
  private pendingClaim: { controller: AbortController; exclude: Set<string> } | undefined;
  private slotFreed: (() => void) | undefined;
  private claiming: Promise<void> = Promise.resolve();
  /** With `once`: a claim failed (the control plane did not answer), so the loop gave up instead of retrying. */
  claimFailed = false;
  /** A run this loop settled ended failed or canceled (for `--once`'s exit code); a flag, not a list, so a long-lived worker keeps no history. */
  runFailed = false;

  constructor(private readonly options: WorkerLoopOptions) {
    this.link = new LinkState(options.controlPlane, options.log);
  }

  get running(): number {
    return this.active.size;
  }

  /** The attempts this loop is executing: alive whatever their lease says, so they are never expired under it. */
  get liveAttempts(): ReadonlySet<number> {
    return new Set(this.active.keys());
  }

  /** Starts claiming; resolves when claiming has stopped (after `stop()`, or with `once` when the queue is empty). */
  start(): Promise<void> {
    if (this.options.concurrency > 0) this.claiming = this.claimLoop();
    return this.claiming;
  }

  /** Resolves when every step this loop started has been settled (or dropped). */
  async idle(): Promise<void> {
    await this.claiming;
    while (this.active.size > 0) await Promise.all([...this.active.values()].map((active) => active.done));
  }

  private async claimLoop(): Promise<void> {
    const { protocol, workerId, concurrency } = this.options;
    let delay = RETRY_FIRST_MS;
    while (!this.stopping) {
      if (this.active.size >= concurrency) {
        await new Promise<void>((resolve) => {
          this.slotFreed = resolve;
        });
        continue;
      }
      let claim: Claim | null;
      const pending = new AbortController();
      // Runs this worker still executes: one whose lease was lost (and requeued) while its step is being
      // stopped must not come back to it as a second live step of the same run.
      const exclude = [...this.active.values()].map((active) => active.claim.runId);
      this.pendingClaim = { controller: pending, exclude: new Set(exclude) };
      const sentAt = Date.now();
      try {
        claim = await protocol.claim(
          {
            workerId,
            capabilities: await this.options.capabilities(),
            exclude,
            waitMs: this.options.once ? 0 : this.options.claimWaitMs,
          },
          AbortSignal.any([this.claimAbort.signal, pending.signal]),
        );
        this.link.ok("claim", sentAt);
        delay = RETRY_FIRST_MS;
      } catch (error) {
        if (this.stopping) break;
        if (pending.signal.aborted) continue;
        this.link.failed(error, sentAt);
        if (this.options.once) {
          this.claimFailed = true;
          break;
        }
        await sleep(delay, undefined, { signal: this.claimAbort.signal }).catch(() => {});
        delay = Math.min(RETRY_MAX_MS, delay * 2);
        continue;
      }
      if (claim) this.begin(claim);
      else if (this.options.once && !pending.signal.aborted) break;
    }
  }

  private begin(claim: Claim): void {
    const active: ActiveRun = {
      claim,
      ref: { attemptId: claim.attemptId, leaseToken: claim.leaseToken },
      controller: new AbortController(),
      // Counted from before the claim's answer arrived would be safer still; from now is within a round trip.
      leaseUntil: Date.now() + claim.leaseMs,
      beating: false,
      done: Promise.resolve(),
    };
    this.active.set(claim.attemptId, active);
    if (this.graceOver) this.halt(active, "shutdown");
    active.done = this.execute(active)
      .catch((error) => this.options.log(`error: run ${claim.runId}: ${describeError(error)}`))
      .finally(() => {
        this.active.delete(claim.attemptId);
        // A waiting claim that excludes this run is sent again without it once the run may be queued
        // again (a retry, or a lost lease); not after every run, since an aborted claim costs a request.
        if (active.requeued && this.pendingClaim?.exclude.has(claim.runId)) this.pendingClaim.controller.abort();
        const wake = this.slotFreed;
        this.slotFreed = undefined;
        wake?.();
      });
  }

  private halt(active: ActiveRun, reason: StopReason): void {
    active.stop ??= reason;
    active.controller.abort(new Error(reason));
  }

  /** Kills a run this loop is executing (the control plane asked, or the caller knows sooner); false if not here. */
  cancel(runId: string): boolean {
    let found = false;
    for (const active of this.active.values()) {
      if (active.claim.runId !== runId) continue;
      this.halt(active, "cancel");
      found = true;
    }
    return found;
  }

  private async execute(active: ActiveRun): Promise<void> {
    const { claim, ref } = active;
    const { protocol } = this.options;
    const output = new OutputBatcher(
      protocol,
      ref,
      () => this.halt(active, "lease-lost"),
      (error, sentAt) => (error === undefined ? this.link.ok("attempt", sentAt) : this.link.failed(error, sentAt)),
    );
    // Every lease/3 a heartbeat; a failed one is sent again at the next tick, and the watchdog in
    // heartbeat() looks at the lease on every tick, in flight or not.
    const beat = setInterval(() => void this.heartbeat(active), Math.max(100, Math.floor(claim.leaseMs / 3)));
    let outcome: AttemptOutcome;
    try {
      outcome = await this.options.runClaim(claim, {
        signal: active.controller.signal,
        output: (stream, text) => output.push(stream, text),
      });
    } finally {
      clearInterval(beat);
    }
    if (active.stop === "lease-lost") {
      active.requeued = true;
      output.abandon();
      this.options.log(
        `run ${claim.runId} (${claim.flow}/${claim.step}): lease lost; the step was stopped and its result dropped`,
      );
      return;
    }
    if (active.stop === "cancel") outcome = { status: "canceled", result: null, error: "canceled" };
    if (active.stop === "shutdown") {
      outcome = {
        status: "interrupted",
        result: null,
        error: `interrupted: ${this.options.stoppedReason ?? `worker ${this.options.workerId} stopped before the step finished`}`,
      };
    }
    const leaseOver = () => Date.now() > active.leaseUntil;
    const rest = await output.finish(leaseOver);
    if (rest === undefined) return;
    const answer = await this.completeWithRetry(
      active,
      outcome,
      { output: rest, claimNext: await this.claimNext(active) },
      (chunks, reason) => output.refusedNotice(chunks, reason),
    );
    active.requeued = answer?.retrying !== false;
    if (!answer) return;
    if (answer.status !== "completed" && answer.status !== "queued") this.runFailed = true;
    this.options.onSettled?.(claim, outcome, answer);
    // The next run came with the answer: it takes this slot, with no claim of its own.
    if (answer.next) this.begin(answer.next);
  }

  private async heartbeat(active: ActiveRun): Promise<void> {
    // The watchdog: past its lease by this worker's clock, the run is someone else's, whatever call
    // is still on its way (a hung heartbeat must not keep a step running beside its successor).
    if (this.options.leaseWatchdog !== false && Date.now() > active.leaseUntil) {
      this.halt(active, "lease-lost");
      return;
    }
    // A step being stopped (cancel, shutdown) keeps its lease until it is gone and reported: killing a
    // tree can take the kill grace (2 s), longer than a short lease.
    if (active.stop === "lease-lost" || active.beating) return;
    active.beating = true;
    // Counted from the send: the control plane extended the lease at some moment after it.
    const sentAt = Date.now();
    try {
      const answer = await this.options.protocol.heartbeat(active.ref);
      active.leaseUntil = sentAt + active.claim.leaseMs;
      this.link.ok("attempt", sentAt);
      if (answer.cancelRequested) this.halt(active, "cancel");
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.halt(active, "lease-lost");
        return;
      }
      this.link.failed(error, sentAt);
    } finally {
      active.beating = false;
    }
  }

  /**
   * The claim to send with a completion: only while every slot is busy. A free slot has a claim of its
   * own waiting already, and two claims for one freed slot would run one step too many.
   */
  private async claimNext(active: ActiveRun): Promise<ClaimRequest | undefined> {
    if (this.stopping || this.active.size < this.options.concurrency) return undefined;
    const exclude = [...this.active.values()].filter((other) => other !== active).map((other) => other.claim.runId);
    return { workerId: this.options.workerId, capabilities: await this.options.capabilities(), exclude };
  }

  /** Resends `complete` until answered; a resend after a lost answer is a duplicate, never a second report. */
  private async completeWithRetry(
    active: ActiveRun,
    outcome: AttemptOutcome,
    extras: CompleteExtras,
    refusedNotice: (chunks: OutputChunkInput[], reason: string) => OutputChunkInput[],
  ): Promise<CompleteAnswer | undefined> {
    let delay = RETRY_FIRST_MS;
    let sending = { outcome, extras };
    while (true) {
      const sentAt = Date.now();
      try {
        const answer = await this.options.protocol.complete(active.ref, sending.outcome, sending.extras);
        this.link.ok("attempt", sentAt);
        return answer;
      } catch (error) {
        if (error instanceof CallRefusedError) {
          // Too large or malformed for the control plane: first without the last output, then without
          // the result (the run fails, saying why), rather than sending the same thing forever.
          const label = `run ${active.claim.runId} (${active.claim.flow}/${active.claim.step})`;
          const output = sending.extras.output ?? [];
          if (output.length > 0) {
            this.options.log(`${label}: its last output was refused (${error.message}); completing without it`);
            sending = { ...sending, extras: { ...sending.extras, output: refusedNotice(output, error.message) } };
            continue;
          }
          if (sending.outcome.result !== null) {
            this.options.log(`${label}: its FLOW_RESULT was refused (${error.message}); reporting the run failed`);
            const why = `the step's FLOW_RESULT was refused by the control plane (${error.message}); keep results small and plain JSON`;
            sending = { ...sending, outcome: { status: "failed", result: null, error: why } };
            continue;
          }
          this.options.log(`${label}: its completion was refused (${error.message}); the lease will expire`);
          return undefined;
        }
        if (error instanceof LeaseLostError) {
          this.options.log(
            `run ${active.claim.runId} (${active.claim.flow}/${active.claim.step}): its result was refused (lease lost); dropped`,
          );
          return undefined;
        }
        this.link.failed(error, sentAt);
        // Stopping, and the lease is over: the control plane interrupts the run itself; do not hold the exit.
        if (this.stopping && Date.now() > active.leaseUntil) return undefined;
        await sleep(delay);
        delay = Math.min(RETRY_MAX_MS, delay * 2);
      }
    }
  }

  /**
   * Stops claiming, gives running steps `graceMs` to finish, then stops the rest and reports them
   * interrupted (the control plane retries them where the step allows).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.claimAbort.abort();
    this.slotFreed?.();
    await this.claiming;
    const deadline = Date.now() + graceMs;
    // A loop, not one wait: a run that arrived with a completion's answer after the stop began is
    // covered by the same grace period.
    while (this.active.size > 0) {
      const all = Promise.all([...this.active.values()].map((active) => active.done));
      const left = deadline - Date.now();
      if (left <= 0) {
        this.graceOver = true;
        for (const active of this.active.values()) this.halt(active, "shutdown");
        await all;
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }
}
