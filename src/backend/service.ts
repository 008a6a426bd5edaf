// The backend service's core: store, flows, accept queue, lease protocol and its own worker loop, behind what the HTTP API calls.

import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { hostname } from "node:os";
import { join } from "node:path";
import { describeError } from "../core/errors.js";
import type { FlowEvent, SkippedStep } from "../core/types.js";
import { FlowCatalog } from "../engine/flow-catalog.js";
import { killOrphans } from "../process/reap-orphans.js";
import { retryDelay } from "../store/backoff.js";
import { eventFilePath, removeStaleTempFiles } from "../store/event-files.js";
import { expireLeases } from "../store/expire-leases.js";
import { findRun } from "../store/get-run.js";
import type { InsertEventOutcome, PlannedRun } from "../store/insert-event.js";
import { insertReplayRuns } from "../store/insert-replay-runs.js";
import { findEvent } from "../store/list-events.js";
import { DATABASE_FILE, openStore } from "../store/open-store.js";
import { requestCancel } from "../store/request-cancel.js";
import { runState } from "../store/run-state.js";
import type { Database } from "../store/sqlite.js";
import { WalSync } from "../store/wal-sync.js";
import { FINISHED_STATUSES, type RunRecord } from "../wire/records.js";
import { capabilitiesOf } from "../worker/capabilities.js";
import { directExecutor } from "../worker/executors/direct.js";
import type { Executor } from "../worker/executors/executor.js";
import { systemdRunExecutor } from "../worker/executors/systemd-run.js";
import { claimRunner } from "../worker/run-claim.js";
import { startSpawnHelper } from "../worker/spawn-helper.js";
import { ACCEPT_FLOWS_MAX_AGE_MS } from "../worker/sqlite/chained-events.js";
import { type Completion, SqliteLeaseProtocol } from "../worker/sqlite/sqlite-lease-protocol.js";
import { WorkerLoop } from "../worker/worker-loop.js";
import { AcceptQueue } from "./accept-queue.js";
import type { ServeConfig } from "./config.js";
import { SessionStore } from "./dashboard/session-store.js";
import { prepareDataDir } from "./data-dir-access.js";
import { type DataDirLock, lockDataDir } from "./data-dir-lock.js";
import { EventFileWriter } from "./event-file-writer.js";
import { LiveFeed } from "./live-feed.js";
import { Scheduler } from "./scheduler.js";

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

const LOCAL_WORKER_PREFIX = `local:${hostname()}:`;

export class BackendService {
  /** This service's worker id: the prefix marks it local, so a successor can tell its runs were orphaned. */
  static newWorkerId(): string {
    return `${LOCAL_WORKER_PREFIX}${process.pid}:${randomBytes(4).toString("hex")}`;
  }
  readonly catalog: FlowCatalog;
  private readonly settled = new EventEmitter();
  /** What live streams (`GET /runs/<id>/output`, `GET /stream`) follow: told of every change made here. */
  readonly feed: LiveFeed;
  private readonly queue: AcceptQueue;
  private readonly files: EventFileWriter;
  private readonly wal: WalSync;
  /** The lease protocol over this store: the service's own workers and remote ones (over HTTP) use it. */
  readonly protocol: SqliteLeaseProtocol;
  private readonly pool: WorkerLoop;
  /** Fires the flows' schedules through `dispatch`, like any posted event. */
  readonly scheduler: Scheduler;
  /** Dashboard logins: in memory on purpose, so a restart logs every browser out. */
  readonly sessions = new SessionStore();
  private readonly localCapabilities: ReturnType<typeof capabilitiesOf>;
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly log: (line: string) => void;
  /** Ends the spawn helper this service started its steps through (none before start()). */
  private stopSpawnHelper: () => Promise<void> = async () => {};

  private constructor(
    readonly workerId: string,
    readonly config: ServeConfig,
    readonly db: Database,
    private readonly lock: DataDirLock,
    options: ServiceOptions,
  ) {
    this.log = options.log ?? ((line) => console.error(line));
    this.settled.setMaxListeners(0);
    this.feed = new LiveFeed(
      {
        run: (id) => {
          const state = runState(db, id);
          if (!state) return undefined;
          const { result: _result, error: _error, ...notice } = state;
          return notice;
        },
        event: (id) => {
          const record = findEvent(db, id);
          return record && { id: record.id, type: record.type, source: record.source, receivedAt: record.receivedAt };
        },
      },
      this.log,
    );
    this.catalog = new FlowCatalog(config.cwd);
    this.wal = new WalSync(join(config.dataDir, DATABASE_FILE));
    this.protocol = new SqliteLeaseProtocol({
      db,
      durability: this.wal,
      catalog: this.catalog,
      leaseMs: config.leaseMs,
      retryBackoffMs: config.retryBackoffMs,
      onCompleted: (completion) => this.onCompleted(completion),
      onRunChanged: (runId, what) => (what === "output" ? this.feed.output(runId) : this.feed.runChanged(runId)),
    });
    this.files = new EventFileWriter(db, config.dataDir, this.log);
    this.queue = new AcceptQueue(db, this.wal, (accepted) => {
      this.files.noteAccepted();
      // Announced before the pool is woken, so a stream sees a run queued before it sees it running.
      for (const outcome of accepted) this.announceAccepted(outcome.eventId, outcome.runIds);
      if (accepted.some((outcome) => outcome.runIds.length > 0)) this.protocol.notifyWork();
    });
    const executor: Executor =
      config.executor === "systemd-run"
        ? systemdRunExecutor({
            cwd: config.cwd,
            dataDir: config.dataDir,
            cliPath: options.cliPath ?? process.argv[1] ?? "",
          })
        : directExecutor;
    // Any flow: a run whose flow is gone from the project is taken and failed with a clear error.
    this.localCapabilities = capabilitiesOf(this.catalog, { anyFlow: true });
    this.pool = new WorkerLoop({
      protocol: this.protocol,
      workerId: this.workerId,
      concurrency: config.concurrency,
      capabilities: this.localCapabilities,
      runClaim: claimRunner({
        catalog: this.catalog,
        executor,
        workerId: this.workerId,
        eventFile: (claim) => eventFilePath(config.dataDir, claim.eventId),
      }),
      claimWaitMs: 60_000,
      controlPlane: "the store",
      stoppedReason: "the service stopped before the step finished",
      leaseWatchdog: false,
      log: this.log,
    });
    this.scheduler = new Scheduler({
      db,
      catalog: this.catalog,
      dispatch: (event) => this.dispatch(event),
      log: this.log,
    });
  }

  /**
   * Takes the data dir and opens the store; no run is touched until `start()`. The caller listens in
   * between, so a service that cannot listen (port taken) changes nothing: it neither burns queued
   * runs' attempts nor recovers runs a service that does run should recover.
   */
  static async open(config: ServeConfig, options: ServiceOptions = {}): Promise<BackendService> {
    prepareDataDir(config.dataDir);
    const workerId = BackendService.newWorkerId();
    const lock = await lockDataDir(config.dataDir, workerId);
    // Temp files are left only by a writer that died between open and rename, and every writer of the
    // events folder holds this lock: after a clean stop there are none, and reading a folder of a
    // million event files costs seconds (bench P6), so it is read only after a holder died.
    if (lock.predecessorDied) {
      const stale = removeStaleTempFiles(config.dataDir);
      if (stale > 0) (options.log ?? console.error)(`removed ${stale} temp file(s) of interrupted event writes`);
    }
    let db: Database;
    try {
      db = await openStore(join(config.dataDir, DATABASE_FILE));
    } catch (error) {
      lock.release();
      throw error;
    }
    return new BackendService(workerId, config, db, lock, options);
  }

  /** Recovers what a crashed predecessor left running, then starts the workers and lease expiry. */
  start(): void {
    this.stopSpawnHelper = startSpawnHelper(this.config.cwd, this.log);
    this.recover();
    this.files.start();
    void this.pool.start();
    this.scheduler.start();
    this.expiryTimer = setInterval(() => this.expire(), Math.max(100, Math.floor(this.config.leaseMs / 2)));
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
    this.files.repairRecent();
  }

  private expire(): void {
    try {
      const expired = expireLeases(this.db, {
        now: Date.now(),
        reason: (workerId) => `worker ${workerId} stopped heartbeating`,
        liveAttempts: this.pool.liveAttempts,
        retryDelayMs: this.retryDelay,
      });
      for (const entry of expired) {
        this.log(
          `run ${entry.runId}: worker ${entry.workerId} stopped heartbeating; ${entry.retrying ? "retry queued" : entry.status}`,
        );
        this.runSettled(entry.runId);
      }
      if (expired.some((entry) => entry.retrying)) this.protocol.notifyWork();
    } catch (error) {
      this.log(`error: lease expiry failed: ${describeError(error)}`);
    }
  }

  private onCompleted({ attempt, settled, result, warnings }: Completion): void {
    const { settlement, chained } = settled;
    this.runSettled(settlement.runId);
    const label = `${attempt.flow}/${attempt.step}`;
    const where = attempt.workerId === this.workerId ? "" : ` on worker ${attempt.workerId}`;
    this.log(
      `run ${settlement.runId} (${label}, event ${attempt.eventId})${where} ${settlement.retrying ? "failed; retry queued" : settlement.status}${result ? ` [${result.status}]` : ""}`,
    );
    for (const warning of warnings) this.log(`warning: ${label}: ${warning}`);
    // The next events are committed already (with the completion); their files follow, as for posted ones.
    for (const { outcome } of chained) {
      if (outcome.status !== "accepted") continue;
      this.announceAccepted(outcome.eventId, outcome.runIds);
      this.files.noteAccepted();
    }
  }

  /** A run moved on (finished, or queued for a retry): waiters and live streams look again. */
  private runSettled(runId: string): void {
    this.settled.emit("settled", runId);
    this.feed.runChanged(runId);
  }

  private announceAccepted(eventId: string | undefined, runIds: readonly string[]): void {
    if (eventId !== undefined) this.feed.eventAccepted(eventId);
    for (const runId of runIds) this.feed.runChanged(runId);
  }

  /** A run this service's own workers cannot take waits for a remote worker: say so once, when it is queued. */
  private async noteUnrunnable(runs: PlannedRun[], runIds: string[]): Promise<void> {
    if (this.config.concurrency === 0 || runs.length === 0) return;
    const { runners } = await this.localCapabilities();
    runs.forEach((run, index) => {
      if (runners.includes(run.runner)) return;
      this.log(
        `run ${runIds[index]} (${run.flow}/${run.step}) waits for a worker that can run "${run.runner}" steps: this service cannot (see \`codex-flows check\`)`,
      );
    });
  }

  /**
   * Hands out the answers of a batch whose WAL sync has just ended (see WalSync.poll). The HTTP front
   * calls it for every request, so a busy loop never keeps a durable batch waiting.
   */
  pollDurability(): void {
    this.wal.poll();
  }

  /** Accepts an event: stored with one queued run per matching step, idempotent by event id. */
  async dispatch(event: FlowEvent): Promise<DispatchResult> {
    const plan = this.catalog.plan(event, ACCEPT_FLOWS_MAX_AGE_MS);
    const outcome = await this.queue.accept({ event, runs: plan.runs, skipped: plan.skipped });
    if (outcome.status === "duplicate") return { ...outcome, matched: 0, skipped: [] };
    void this.noteUnrunnable(plan.runs, outcome.runIds);
    return { ...outcome, matched: plan.runs.length, skipped: plan.skipped };
  }

  /** New runs for every step that matches the stored event now; undefined for an unknown event. */
  replay(eventId: string): ReplayResult | undefined {
    const stored = findEvent(this.db, eventId);
    if (!stored) return undefined;
    const plan = this.catalog.plan(stored.event);
    const outcome = insertReplayRuns(this.db, eventId, plan.runs, Date.now());
    if (!outcome) return undefined;
    this.announceAccepted(undefined, outcome.runIds);
    this.protocol.notifyWork();
    void this.noteUnrunnable(plan.runs, outcome.runIds);
    return { ...outcome, matched: plan.runs.length, skipped: plan.skipped };
  }

  /**
   * Cancels a run: a queued one at once; a running one by killing its process tree here (or, when
   * another worker holds it, by the flag its next heartbeat sees). Waits up to `waitMs` for it to end.
   */
  async cancel(runId: string, waitMs = 15_000): Promise<RunRecord | undefined> {
    const requested = requestCancel(this.db, runId, Date.now());
    if (!requested) return undefined;
    if (requested.outcome === "canceled") this.runSettled(runId);
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

  /** A second SIGTERM: ends the grace period now. Running steps' trees are killed and marked interrupted by close(). */
  stopStepsNow(): Promise<void> {
    return this.pool.stop(0);
  }

  /** SIGTERM: no new work; running steps get `graceMs`, then are killed and marked interrupted (or requeued). */
  async close(graceMs = this.config.graceMs): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    await this.scheduler.stop();
    await this.queue.idle();
    // No run is handed out any more, to this service's workers or to remote ones waiting in a claim.
    this.protocol.close();
    await this.pool.stop(graceMs);
    // The pool gave its runs back as interrupted; this catches any it could not report. Only this
    // service's own: remote workers' leases may have run out while they could not reach it, and their
    // steps still run; the next start's lease expiry judges them.
    expireLeases(this.db, {
      now: Date.now(),
      reason: "the service stopped before the step finished",
      deadWorker: (workerId) => workerId === this.workerId,
      onlyDeadWorkers: true,
      retryDelayMs: this.retryDelay,
    });
    await this.files.drain();
    // Streams see the runs' last state (interrupted ones included) while the store is still open, then end.
    this.feed.close();
    // Before the store closes: from db.close() to the end of close() nothing may wait, or a remote
    // worker's call would reach a closed database before the HTTP front marks it closed.
    await this.wal.close();
    await this.stopSpawnHelper();
    this.db.close();
    this.lock.release();
  }
}
