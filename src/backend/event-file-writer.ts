// The per-event JSON files under <data-dir>/events/, written in the background from the database.
import { setTimeout as sleep } from "node:timers/promises";
import { describeError } from "../core/errors.js";
import {
  eventFileMark,
  eventsAfter,
  eventsThrough,
  newestEventSeq,
  type StoredEventBody,
  setEventFileMark,
} from "../store/event-file-mark.js";
import { eventFilePath, repairEventFile, writeOwedEventFile } from "../store/event-files.js";
import type { Database } from "../store/sqlite.js";

/** Intake counts as busy this long after its last commit; files wait for a pause. */
const QUIET_MS = 20;
/** Past this many events without files the writer stops waiting for pauses and writes as fast as it can. */
const MAX_LAG = 10_000;
/** How long shutdown spends on files still owed; the next start writes the rest (the mark says where). */
const DRAIN_MS = 10_000;
/** After a failed write (disk full, permissions) the writer tries that file again this much later. */
const RETRY_MS = 1_000;
const BATCH = 128;
/**
 * The files are written synchronously (see writeOwedEventFile), about 70 µs each here, so the writer
 * hands the event loop back after this long: a request that arrives meanwhile waits at most that.
 */
const SLICE_MS = 2;
/** At start, how many of the newest files at or before the mark are checked (a power loss may have hurt them). */
const RECHECK = 1_000;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/**
 * The database is the source of truth and every reader of an event file (the systemd-run executor,
 * `backend backup`) rewrites a missing one from it, so the files need not exist before an event's
 * 202. Creating a file (create, write, rename: about 70 µs here) costs a third of what accepting
 * the event costs the event loop, so intake leaves them to this writer. It follows the events table
 * in seq order, writes during pauses in intake (or at once when MAX_LAG files are owed), and
 * records how far it got in the store, so a restart resumes there. Graceful shutdown writes the
 * files still owed, for up to DRAIN_MS. A write that fails stops the writer at that event (the mark
 * stays before it) until a retry succeeds.
 */
export class EventFileWriter {
  private written: number;
  private lastIntakeAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private draining = false;
  private started = false;
  private stopped = false;
  private failing = false;

  constructor(
    private readonly db: Database,
    private readonly dataDir: string,
    private readonly log: (line: string) => void,
  ) {
    this.written = eventFileMark(db);
  }

  /**
   * At start, before anything runs: the newest files the mark covers may be missing or torn after a
   * crash or power loss (they were never fsynced). Returns how many were rewritten.
   */
  repairRecent(): number {
    let rewritten = 0;
    for (const { event } of eventsThrough(this.db, this.written, RECHECK)) {
      if (repairEventFile(eventFilePath(this.dataDir, event.id), event)) rewritten += 1;
    }
    if (rewritten > 0) this.log(`rewrote ${rewritten} event file(s) that were missing or damaged`);
    return rewritten;
  }

  /** Events were committed (posted, fired by a schedule or chained): their files are owed. */
  noteAccepted(): void {
    this.lastIntakeAt = Date.now();
    this.kick();
  }

  /** Starts writing what is owed (after a restart, what the previous service left). */
  start(): void {
    this.started = true;
    this.kick();
  }

  /**
   * For shutdown, while the store is open: writes the files still owed (for up to DRAIN_MS), then
   * stops. A service that never started writes nothing (it changes nothing, see BackendService.open).
   */
  async drain(): Promise<void> {
    if (!this.started) {
      this.stopped = true;
      return;
    }
    this.draining = true;
    this.kick();
    const deadline = Date.now() + DRAIN_MS;
    if (this.running) {
      // The timer is cancelled once the writer is done, or it would hold the process for DRAIN_MS.
      const timer = new AbortController();
      const timeout = sleep(Math.max(0, deadline - Date.now()), undefined, { signal: timer.signal }).catch(() => {});
      await Promise.race([this.running, timeout]);
      timer.abort();
    }
    this.stopped = true;
    while (this.running) await this.running;
    const owed = this.db.open ? newestEventSeq(this.db) - this.written : 0;
    if (owed > 0) this.log(`${owed} event file(s) are left for the next start to write`);
  }

  private kick(): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.again = false;
    this.running = this.writeOwed()
      .catch((error) => this.log(`warning: could not write event files: ${describeError(error)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) this.kick();
      });
  }

  private async writeOwed(): Promise<void> {
    // Never inside the turn that kicked it: that one may be about to answer a batch (onAccepted).
    await nextTurn();
    let slice = performance.now();
    while (this.db.open && !this.stopped) {
      const batch = eventsAfter(this.db, this.written, BATCH);
      if (batch.length === 0) return;
      await this.waitForPause();
      let done: StoredEventBody | undefined;
      for (const stored of batch) {
        // The budget spans batches (the mark's commit and the next read count too).
        if (performance.now() - slice > SLICE_MS) {
          await nextTurn();
          slice = performance.now();
        }
        if (this.stopped || !this.db.open || !this.write(stored)) break;
        done = stored;
      }
      if (done !== undefined) {
        this.written = done.seq;
        if (this.db.open) setEventFileMark(this.db, this.written);
      }
      if (done !== batch[batch.length - 1]) {
        // A write failed (or the writer is stopping): try again later from that event.
        if (this.failing && !this.stopped) await sleep(RETRY_MS);
        if (this.stopped) return;
      }
    }
  }

  private async waitForPause(): Promise<void> {
    while (!this.draining && Date.now() - this.lastIntakeAt < QUIET_MS && this.db.open) {
      if (newestEventSeq(this.db) - this.written >= MAX_LAG) return;
      await sleep(QUIET_MS);
    }
  }

  /** False when the file could not be written (said once per run of failures). */
  private write({ event }: StoredEventBody): boolean {
    try {
      writeOwedEventFile(this.dataDir, event);
      if (this.failing) this.log(`event files are being written again (from ${event.id})`);
      this.failing = false;
      return true;
    } catch (error) {
      if (!this.failing) {
        this.log(
          `warning: could not write the event file for ${event.id}: ${describeError(error)}; retrying every ${RETRY_MS / 1000} s (the database has the event)`,
        );
      }
      this.failing = true;
      return false;
    }
  }
}
