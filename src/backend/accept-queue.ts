// Group commit for accepted events: events arriving in the same tick share one transaction and one fsync.
import { describeError } from "../core/errors.js";
import { type InsertEventInput, type InsertEventOutcome, insertEvent, insertEventRows } from "../store/insert-event.js";
import { type Database, withSynchronous } from "../store/sqlite.js";
import type { WalSync } from "../store/wal-sync.js";

type Pending = {
  input: Omit<InsertEventInput, "now">;
  resolve: (outcome: InsertEventOutcome) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit: the events that arrive in one turn of the event loop share one transaction (one
 * failing insert fails only its own request, see flush) and then one fdatasync of the WAL (see
 * wal-sync.ts), before any of them is answered. The sync runs on a thread of its own: the requests
 * that arrive meanwhile are read, checked and queued, and form the next batch, committed once this
 * one's sync has ended: batches grow with the load. Every event is on disk before its answer.
 */
export class AcceptQueue {
  private pending: Pending[] = [];
  private scheduled = false;
  /** A batch is between its commit and the end of its sync (a Durability may sync asynchronously): the next one waits. */
  private syncing = false;
  /** Every flush still committing, syncing or answering: a slow one may outlast a newer one. */
  private readonly flushing = new Set<Promise<void>>();

  constructor(
    private readonly db: Database,
    private readonly wal: WalSync,
    /**
     * Called after a batch is committed, before any answer, with the events it accepted (the service
     * announces them to live streams and wakes the worker pool).
     */
    private readonly onAccepted: (accepted: InsertEventOutcome[]) => void,
  ) {}

  accept(input: Omit<InsertEventInput, "now">): Promise<InsertEventOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.schedule();
    });
  }

  /** A flush on the next turn, unless one is scheduled or a batch is syncing (it schedules the next when done). */
  private schedule(): void {
    if (this.scheduled || this.syncing || this.pending.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      const flush = this.flush().finally(() => this.flushing.delete(flush));
      this.flushing.add(flush);
    });
  }

  /** Resolves once every event handed in so far is committed and answered (for shutdown). */
  async idle(): Promise<void> {
    while (this.scheduled || this.pending.length > 0 || this.flushing.size > 0) {
      if (this.flushing.size > 0) await Promise.all(this.flushing);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const now = Date.now();
    const outcomes: (InsertEventOutcome | Error)[] = [];
    this.syncing = true;
    try {
      withSynchronous(this.db, "NORMAL", () => {
        try {
          // One statement per row, no savepoints: a savepoint per event cost two more statements each.
          this.db.transaction(() => {
            for (const item of batch) outcomes.push(insertEventRows(this.db, { ...item.input, now }));
          })();
        } catch {
          // One of them failed and the whole batch rolled back: again, each event on its own savepoint,
          // so only the bad one fails its request.
          outcomes.length = 0;
          this.db.transaction(() => {
            for (const item of batch) {
              try {
                outcomes.push(insertEvent(this.db, { ...item.input, now }));
              } catch (error) {
                outcomes.push(new Error(`could not store event: ${describeError(error)}`, { cause: error }));
              }
            }
          })();
        }
      });
      this.wal.noteCommit();
      // A lone event has no other event to overlap with: it syncs here (see WalSync.sync).
      await this.wal.sync({ onLoop: batch.length === 1 });
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    } finally {
      this.syncing = false;
      this.schedule();
    }
    const accepted = outcomes.filter((o): o is InsertEventOutcome => !(o instanceof Error) && o.status === "accepted");
    if (accepted.length > 0) this.onAccepted(accepted);
    batch.forEach((item, index) => {
      const outcome = outcomes[index];
      if (outcome instanceof Error || outcome === undefined) item.reject(outcome);
      else item.resolve(outcome);
    });
  }
}
