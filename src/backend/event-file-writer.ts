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
import { eventFileHolds, eventFilePath, repairEventFile, writeEventFile } from "../store/event-files.js";
import type { Database } from "../store/sqlite.js";

/** Intake counts as busy this long after its last commit; files wait for a pause. */
const QUIET_MS = 20;
/** Past this many events without files the writer stops waiting for a pause, so the lag stays bounded. */
const MAX_LAG = 10_000;
const BATCH = 128;
/** At start, how many of the newest files at or before the mark are checked (a power loss may have hurt them). */
const RECHECK = 1_000;

/**
 * The database is the source of truth and every reader of an event file (the systemd-run executor,
 * `backend backup`) rewrites a missing one from it, so the files need not exist before an event's 202.
 * Creating a file costs far more than storing the event (about 0.5 ms of kernel time per file on this
 * project's ext4 machines, against 0.1 ms for the whole request), so intake leaves them to this
 * writer. It follows the events table in seq order, writes during pauses in intake (or at once when
 * MAX_LAG files are owed), and records how far it got in the store, so a restart resumes there.
 * Graceful shutdown writes every file still owed.
 */
export class EventFileWriter {
  private written: number;
  private lastIntakeAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private draining = false;

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
    this.kick();
  }

  /** Writes every file still owed; for shutdown, while the store is open. */
  async drain(): Promise<void> {
    this.draining = true;
    this.kick();
    while (this.running) await this.running;
  }

  private kick(): void {
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
    while (this.db.open) {
      const batch = eventsAfter(this.db, this.written, BATCH);
      if (batch.length === 0) return;
      await this.waitForPause();
      if (!this.db.open) return;
      for (const stored of batch) await this.write(stored);
      const last = batch[batch.length - 1] as StoredEventBody;
      this.written = last.seq;
      if (this.db.open) setEventFileMark(this.db, this.written);
    }
  }

  private async waitForPause(): Promise<void> {
    while (!this.draining && Date.now() - this.lastIntakeAt < QUIET_MS && this.db.open) {
      if (newestEventSeq(this.db) - this.written >= MAX_LAG) return;
      await sleep(QUIET_MS);
    }
  }

  private async write({ event }: StoredEventBody): Promise<void> {
    const path = eventFilePath(this.dataDir, event.id);
    try {
      // Written already when a reader needed it first, or by a service that stopped before its mark moved.
      if (eventFileHolds(path, event)) return;
      await writeEventFile(this.dataDir, event);
    } catch (error) {
      this.log(`warning: could not write the event file for ${event.id}: ${describeError(error)}`);
    }
  }
}
