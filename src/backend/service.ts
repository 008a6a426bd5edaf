// The backend service's core: store, flows, accept queue and worker pool, behind the operations the HTTP API calls.

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { nextEvents } from "../chain.js";
import { DEFAULT_MAX_DEPTH as MAX_CHAIN_DEPTH } from "../engine.js";
import { describeError } from "../errors.js";
import { retryDelay } from "../store/backoff.js";
import type { Claim } from "../store/claim-run.js";
import type { RunSettlement } from "../store/complete-run.js";
import { expireLeases } from "../store/expire-leases.js";
import { findRun } from "../store/get-run.js";
import type { InsertEventOutcome } from "../store/insert-event.js";
import { insertReplayRuns } from "../store/insert-replay-runs.js";
import { findEvent, listEvents } from "../store/list-events.js";
import { DATABASE_FILE, openStore } from "../store/open-store.js";
import { FINISHED_STATUSES, type RunRecord } from "../store/records.js";
import { requestCancel } from "../store/request-cancel.js";
import type { Database } from "../store/sqlite.js";
import type { FlowEvent, FlowResult, SkippedStep } from "../types.js";
import { AcceptQueue } from "./accept-queue.js";
import type { ServeConfig } from "./config.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { ensureEventsFolder, eventFilePath, writeEventFileSync } from "./event-files.js";
import { directExecutor } from "./executors/direct.js";
import type { Executor } from "./executors/executor.js";
import { systemdRunExecutor } from "./executors/systemd-run.js";
import { FlowCatalog } from "./flow-catalog.js";
import { OutputBuffer } from "./output-buffer.js";
import { killOrphans } from "./reap-orphans.js";
import { WorkerPool } from "./worker-pool.js";

export interface DispatchResult extends InsertEventOutcome {
  matched: number;
  skipped: SkippedStep[];
}

export interface ReplayResult {
  eventId: string;
  replay: number;
  runIds: string[];
  matched: number;
  skipped: SkippedStep[];
}

export interface ServiceOptions {
  log?: (line: string) => void;
  /** The CLI script, for executors that start `codex-flows backend exec-step` out of process. */
  cliPath?: string;
}

/** How stale the flow list may be when an event is accepted (replays and runs always re-check). */
const ACCEPT_FLOWS_MAX_AGE_MS = 200;

const LOCAL_WORKER_PREFIX = `local:${hostname()}:`;

export class BackendService {
  /** This service's worker id: the prefix marks it local, so a successor can tell its runs were orphaned. */
  static newWorkerId(): string {
    return `${LOCAL_WORKER_PREFIX}${process.pid}:${randomBytes(4).toString("hex")}`;
  }
  readonly catalog: FlowCatalog;
  private readonly settled = new EventEmitter();
  private readonly queue: AcceptQueue;
  private readonly pool: WorkerPool;
  private readonly output: OutputBuffer;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;

  private constructor(
    readonly workerId: string,
    readonly config: ServeConfig,
    readonly db: Database,
    private readonly lock: DataDirLock,
    options: ServiceOptions,
  ) {
    this.log = options.log ?? ((line) => console.error(line));
    this.settled.setMaxListeners(0);
    this.catalog = new FlowCatalog(config.cwd);
    this.output = new OutputBuffer(db, (error) => this.log(`error: could not store output: ${describeError(error)}`));
    this.queue = new AcceptQueue(db, config.dataDir, () => this.pool.wake());
    const executor: Executor =
      config.executor === "systemd-run"
        ? systemdRunExecutor({
            cwd: config.cwd,
            dataDir: config.dataDir,
            cliPath: options.cliPath ?? process.argv[1] ?? "",
          })
        : directExecutor;
    this.pool = new WorkerPool({
      db,
      catalog: this.catalog,
      executor,
      output: this.output,
      dataDir: config.dataDir,
      workerId: this.workerId,
      concurrency: config.concurrency,
      leaseMs: config.leaseMs,
      retryBackoffMs: config.retryBackoffMs,
      onSettled: (settlement, claim, result) => this.onSettled(settlement, claim, result),
      log: this.log,
    });
  }

  /** Takes the data dir, opens the store, recovers what a crashed predecessor left running, starts the workers. */
  static async start(config: ServeConfig, options: ServiceOptions = {}): Promise<BackendService> {
    ensureEventsFolder(config.dataDir);
    const workerId = BackendService.newWorkerId();
    const lock = lockDataDir(config.dataDir, workerId);
    let db: Database;
    try {
      db = await openStore(join(config.dataDir, DATABASE_FILE));
    } catch (error) {
      lock.release();
      throw error;
    }
    const service = new BackendService(workerId, config, db, lock, options);
    service.recover();
    service.pool.wake();
    service.expiryTimer = setInterval(() => service.expire(), Math.max(100, Math.floor(config.leaseMs / 2)));
    return service;
  }

  private retryDelay = (attempt: number) => retryDelay(this.config.retryBackoffMs, attempt);

  /** Runs left `running` by a service that died: this one holds the data dir lock, so those workers are gone. */
  private recover(): void {
    const dead = (workerId: string) => workerId.startsWith(LOCAL_WORKER_PREFIX) && workerId !== this.workerId;
    const expired = expireLeases(this.db, {
      now: Date.now(),
      reason: "the service stopped while the step was running",
      deadWorker: dead,
      retryDelayMs: this.retryDelay,
    });
    if (expired.length > 0) {
      this.log(
        `recovered ${expired.length} interrupted run(s): ${expired.map((e) => `${e.runId} -> ${e.status}`).join(", ")}`,
      );
      killOrphans(expired, (line) => this.log(line));
    }
    // A crash between a commit and its event file leaves the file missing; the database has the event.
    for (const record of listEvents(this.db, { limit: 1_000 })) {
      if (!existsSync(eventFilePath(this.config.dataDir, record.id)))
        writeEventFileSync(this.config.dataDir, record.event);
    }
  }

  private expire(): void {
    try {
      const expired = expireLeases(this.db, {
        now: Date.now(),
        reason: "its lease expired (the worker stopped heartbeating)",
        retryDelayMs: this.retryDelay,
      });
      for (const entry of expired) this.settled.emit("settled", entry.runId);
      if (expired.some((entry) => entry.retrying)) this.pool.wake();
    } catch (error) {
      this.log(`error: lease expiry failed: ${describeError(error)}`);
    }
  }

  private onSettled(settlement: RunSettlement, claim: Claim, result: FlowResult | null): void {
    this.settled.emit("settled", settlement.runId);
    const label = `${claim.flow}/${claim.step}`;
    this.log(
      `run ${settlement.runId} (${label}, event ${claim.eventId}) ${settlement.retrying ? "failed; retry queued" : settlement.status}${result ? ` [${result.status}]` : ""}`,
    );
    if (settlement.status !== "completed" || !result?.next?.length) return;
    const run = findRun(this.db, settlement.runId);
    const replay = run?.replay ?? 0;
    const { events, problems } = nextEvents(
      { event: claim.event, flow: claim.flow, step: claim.step, idSuffix: replay > 0 ? `replay-${replay}` : undefined },
      result,
    );
    for (const problem of problems) this.log(`warning: ${label}: bad next event: ${problem}`);
    if (claim.eventDepth + 1 > MAX_CHAIN_DEPTH) {
      this.log(
        `warning: ${label}: chain depth limit of ${MAX_CHAIN_DEPTH} reached; ${events.length} next event(s) dropped`,
      );
      return;
    }
    for (const event of events) {
      this.dispatch(event, claim.eventDepth + 1).catch((error) =>
        this.log(`error: could not accept next event ${event.id}: ${describeError(error)}`),
      );
    }
  }

  /** Accepts an event: stored with one queued run per matching step, idempotent by event id. */
  async dispatch(event: FlowEvent, depth = 0): Promise<DispatchResult> {
    const plan = this.catalog.plan(event, ACCEPT_FLOWS_MAX_AGE_MS);
    const outcome = await this.queue.accept({ event, runs: plan.runs, skipped: plan.skipped, depth });
    if (outcome.status === "duplicate") return { ...outcome, matched: 0, skipped: [] };
    return { ...outcome, matched: plan.runs.length, skipped: plan.skipped };
  }

  /** New runs for every step that matches the stored event now; undefined for an unknown event. */
  replay(eventId: string): ReplayResult | undefined {
    const stored = findEvent(this.db, eventId);
    if (!stored) return undefined;
    const plan = this.catalog.plan(stored.event);
    const outcome = insertReplayRuns(this.db, eventId, plan.runs, Date.now());
    if (!outcome) return undefined;
    this.pool.wake();
    return { ...outcome, matched: plan.runs.length, skipped: plan.skipped };
  }

  /**
   * Cancels a run: a queued one at once; a running one by killing its process tree here (or, when
   * another worker holds it, by the flag its next heartbeat sees). Waits up to `waitMs` for it to end.
   */
  async cancel(runId: string, waitMs = 15_000): Promise<RunRecord | undefined> {
    const requested = requestCancel(this.db, runId, Date.now());
    if (!requested) return undefined;
    if (requested.outcome === "canceled") this.settled.emit("settled", runId);
    if (requested.outcome === "requested") {
      this.pool.cancel(runId);
      await this.waitForRuns([runId], waitMs);
    }
    return findRun(this.db, runId);
  }

  /** Resolves when every run is finished (completed, failed or canceled), or after `timeoutMs`. */
  waitForRuns(runIds: string[], timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    const finished = (id: string) => {
      const run = findRun(this.db, id);
      return !run || FINISHED_STATUSES.includes(run.status);
    };
    return new Promise((resolve) => {
      const pending = new Set(runIds);
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        this.settled.off("settled", check);
        if (timer) clearTimeout(timer);
        resolve();
      };
      const check = (runId?: string) => {
        for (const id of runId === undefined ? [...pending] : [runId])
          if (pending.has(id) && finished(id)) pending.delete(id);
        if (pending.size === 0) done();
      };
      this.settled.on("settled", check);
      if (Number.isFinite(timeoutMs)) timer = setTimeout(done, timeoutMs);
      check();
    });
  }

  /** SIGTERM: no new work; running steps get `graceMs`, then are killed and marked interrupted (or requeued). */
  async close(graceMs = this.config.graceMs): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    await this.queue.idle();
    await this.pool.stop(graceMs);
    // Runs that finished during the grace period may have chained `next` events still committing.
    await this.queue.idle();
    this.output.flush();
    expireLeases(this.db, {
      now: Date.now(),
      reason: "the service stopped before the step finished",
      deadWorker: (workerId) => workerId === this.workerId,
      retryDelayMs: this.retryDelay,
    });
    this.db.close();
    this.lock.release();
  }
}
