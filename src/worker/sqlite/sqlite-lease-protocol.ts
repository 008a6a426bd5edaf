// The lease protocol over the local SQLite store: the service's own pool and its HTTP worker endpoints both use it.
import type { FlowResult } from "../../core/types.js";
import type { FlowCatalog } from "../../engine/flow-catalog.js";
import { appendOutput } from "../../store/append-output.js";
import { retryDelay } from "../../store/backoff.js";
import { claimRun, nextQueuedAt, type StoredClaim } from "../../store/claim-run.js";
import { findOpenAttempt, type OpenAttempt } from "../../store/find-attempt.js";
import { heartbeat } from "../../store/heartbeat.js";
import { redeliverClaim } from "../../store/redeliver-claim.js";
import { releaseClaim } from "../../store/release-claim.js";
import { type Database, withSynchronous } from "../../store/sqlite.js";
import type { Durability } from "../../store/wal-sync.js";
import {
  type AttemptOutcome,
  type AttemptRef,
  type Claim,
  type ClaimRequest,
  type CompleteAnswer,
  type CompleteExtras,
  type HeartbeatAnswer,
  LeaseLostError,
  type OutputChunkInput,
} from "../../wire/protocol.js";
import type { LeaseProtocol } from "../lease-protocol.js";
import { type ChainPlan, planChainedEvents } from "./chained-events.js";
import { type AttemptSettled, settleAttempt } from "./settle-attempt.js";

/** A completion as the service logs it: who, what became of the run, and its next events. */
export interface Completion {
  attempt: OpenAttempt;
  settled: AttemptSettled & { kind: "settled" };
  result: FlowResult | null;
  /** Next events the step asked for that were dropped, one line each. */
  warnings: string[];
}

export interface SqliteLeaseProtocolOptions {
  db: Database;
  catalog: FlowCatalog;
  leaseMs: number;
  retryBackoffMs: number;
  onCompleted: (completion: Completion) => void;
  /** A run's status changed here (claimed, given back) or it has new output: live viewers look again. */
  onRunChanged?: (runId: string, what: "status" | "output") => void;
  /**
   * Events stored with synchronous=NORMAL (intake, a completion's next events) are on disk only once
   * this settles: a claim of their runs waits for it, so no step runs for an event a power loss
   * could still take back. Without it every commit is taken as durable.
   */
  durability?: Durability;
}

/**
 * Longest a waiting claim sleeps before it looks again, whatever else happens: a safety net for a
 * missed wake-up (one was: a retry's backoff ending between two clock readings, see claim()). One
 * indexed query every few seconds while idle is cheap.
 */
const MAX_IDLE_MS = 5_000;

export class SqliteLeaseProtocol implements LeaseProtocol {
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(private readonly options: SqliteLeaseProtocolOptions) {}

  /** New runs are queued (an event accepted, a replay, a retry): waiting claims look again. */
  notifyWork(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** The store is closing: waiting claims answer "nothing" now, and no new one is handed out. */
  close(): void {
    this.closed = true;
    this.notifyWork();
  }

  private claimNow(request: ClaimRequest, now = Date.now(), forAttempt?: number): Claim | null {
    if (this.closed) return null;
    const stored = withSynchronous(this.options.db, "NORMAL", () => this.storeClaim(request, now, forAttempt));
    return stored ? this.claimed(stored) : null;
  }

  /** The claim's rows, inside the caller's transaction; `forAttempt` is the completed attempt that asked for it. */
  private storeClaim(request: ClaimRequest, now: number, forAttempt?: number): StoredClaim | undefined {
    if (this.closed) return undefined;
    return claimRun(this.options.db, {
      workerId: request.workerId,
      leaseMs: this.options.leaseMs,
      now,
      capabilities: request.capabilities,
      exclude: request.exclude,
      forAttempt,
    });
  }

  /**
   * The next run for a completing worker, inside the completion's transaction. A resent complete
   * claims nothing new: it gets back what the first one claimed, if that is still unstarted (its
   * answer was lost with the claim), so one freed slot never gets two runs. A claim that fails undoes
   * only itself, never the completion: the worker then claims on its own, and that claim reports it.
   */
  private nextClaim(
    kind: "settled" | "duplicate",
    attempt: AttemptRef,
    request: ClaimRequest,
  ): StoredClaim | undefined {
    try {
      if (kind === "settled") return this.storeClaim({ ...request, waitMs: 0 }, Date.now(), attempt.attemptId);
      if (this.closed) return undefined;
      const { workerId } = request;
      return redeliverClaim(this.options.db, { ...attempt, workerId, leaseMs: this.options.leaseMs, now: Date.now() });
    } catch {
      return undefined;
    }
  }

  /** After the claim's commit: live viewers hear of it, and the worker gets it. */
  private claimed(stored: StoredClaim): Claim {
    this.options.onRunChanged?.(stored.runId, "status");
    return this.claimOf(stored);
  }

  private claimOf(stored: StoredClaim): Claim {
    const flow = this.options.catalog
      .current(CATALOG_MAX_AGE_MS)
      .flows.find((candidate) => candidate.name === stored.flow);
    const { replay: _replay, eventDepth: _depth, ...claim } = stored;
    return { ...claim, manifestHash: flow?.manifestHash ?? null };
  }

  async claim(request: ClaimRequest, signal?: AbortSignal): Promise<Claim | null> {
    const deadline = Date.now() + Math.max(0, request.waitMs ?? 0);
    while (true) {
      // One clock reading for the claim and for the next wake-up: with two, a run that became ready
      // between them (a retry's backoff ending just then) was neither claimed nor waited for.
      const now = Date.now();
      const claim = this.claimNow(request, now);
      if (claim) await this.options.durability?.settled();
      if (claim || this.closed || now >= deadline || signal?.aborted) return claim;
      await this.waitForWork(now, deadline, request.exclude ?? [], signal);
    }
  }

  /** Sleeps until work may be ready: a wake-up, a retry's backoff ending, the deadline or an abort. */
  private waitForWork(now: number, deadline: number, exclude: readonly string[], signal?: AbortSignal): Promise<void> {
    const nextAt = nextQueuedAt(this.options.db, now, exclude);
    const until = Math.min(deadline, nextAt ?? Number.POSITIVE_INFINITY, now + MAX_IDLE_MS);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, until - Date.now()));
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  /**
   * Gives back a claim nobody received (the worker's request was gone by the time it was answered):
   * the run is queued again as if never claimed, instead of waiting out a lease and failing "interrupted".
   */
  release(claim: Pick<Claim, "attemptId" | "leaseToken" | "leaseExpiresAt">): void {
    const { db } = this.options;
    const runId = withSynchronous(db, "NORMAL", () =>
      releaseClaim(db, claim.attemptId, claim.leaseToken, claim.leaseExpiresAt),
    );
    if (!runId) return;
    this.options.onRunChanged?.(runId, "status");
    this.notifyWork();
  }

  async heartbeat(attempt: AttemptRef): Promise<HeartbeatAnswer> {
    const { db, leaseMs } = this.options;
    const state = withSynchronous(db, "NORMAL", () => heartbeat(db, { ...attempt, leaseMs, now: Date.now() }));
    if (!state) throw new LeaseLostError(attempt.attemptId);
    return state;
  }

  async appendOutput(attempt: AttemptRef, chunks: OutputChunkInput[]): Promise<void> {
    const { db } = this.options;
    const runId = withSynchronous(db, "NORMAL", () => appendOutput(db, { ...attempt, chunks }));
    if (!runId) throw new LeaseLostError(attempt.attemptId);
    this.options.onRunChanged?.(runId, "output");
  }

  async complete(attempt: AttemptRef, outcome: AttemptOutcome, extras: CompleteExtras = {}): Promise<CompleteAnswer> {
    const { db, catalog, retryBackoffMs } = this.options;
    const open = findOpenAttempt(db, attempt.attemptId, attempt.leaseToken);
    // Discovery reads the disk, so next events are planned before the completion's transaction.
    const chain: ChainPlan =
      open && outcome.status === "completed"
        ? planChainedEvents(open, outcome.result, catalog)
        : { events: [], warnings: [] };
    // The completion and the claim of the worker's next run share one commit: both touch mostly the
    // same pages (the runs table and its indexes), so each no-op run made 11 fewer WAL writes and 6
    // fewer lock calls (bench P5, under strace). Not when the completion stored next events: their
    // runs are announced as queued (onCompleted) before anything may claim them.
    const claimNext = extras.claimNext;
    const { settled, next } = withSynchronous(db, "NORMAL", () =>
      db
        .transaction(() => {
          const settled = settleAttempt(db, {
            attempt,
            outcome,
            output: extras.output ?? [],
            chain,
            retryDelayMs: (failed) => retryDelay(retryBackoffMs, failed),
          });
          const chained = settled.kind === "settled" && settled.chained.length > 0;
          if (!claimNext || settled.kind === "lost" || chained) return { settled, next: undefined };
          return { settled, next: this.nextClaim(settled.kind, attempt, claimNext) };
        })
        .immediate(),
    );
    if (settled.kind === "lost") throw new LeaseLostError(attempt.attemptId);
    const { settlement } = settled;
    if (settled.kind === "settled" && settled.chained.length > 0) this.options.durability?.noteCommit();
    if (settled.kind === "settled" && open) {
      this.options.onCompleted({ attempt: open, settled, result: outcome.result, warnings: chain.warnings });
      if (settlement.retrying || settled.chained.length > 0) this.notifyWork();
    }
    const answer: CompleteAnswer = {
      runId: settlement.runId,
      status: settlement.status as CompleteAnswer["status"],
      retrying: settlement.retrying,
      duplicate: settled.kind === "duplicate",
    };
    if (claimNext) {
      if (next) answer.next = settled.kind === "settled" ? this.claimed(next) : this.claimOf(next);
      else if (settled.kind === "settled" && settled.chained.length > 0) {
        answer.next = this.claimNow({ ...claimNext, waitMs: 0 }, Date.now(), attempt.attemptId);
      } else answer.next = null;
    }
    if (answer.next) await this.options.durability?.settled();
    return answer;
  }
}

/** How stale the flow list may be for a claim's manifest hash: a few stat calls saved per claim. */
const CATALOG_MAX_AGE_MS = 200;
