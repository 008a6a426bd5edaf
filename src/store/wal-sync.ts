// Making commits made with synchronous=NORMAL durable without blocking the event loop: one fdatasync
// of the WAL file, off the main thread, shared by every commit made before it started.
import { realpathSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { describeError } from "../core/errors.js";

/** What the lease protocol needs to hand out only runs whose events are on disk. */
export interface Durability {
  /** A commit that must become durable before anything acts on it (events stored) was just made. */
  noteCommit(): void;
  /** Resolves once every commit noted so far is on disk (at once when none is pending). */
  settled(): Promise<void>;
}

/**
 * In WAL mode a commit appends its frames to `<db>-wal`; synchronous=FULL then fsyncs that file inside
 * the commit, on the event loop (about 0.2 to 2 ms here, during which no request is read). Committing
 * with NORMAL and then fdatasync-ing the WAL from the thread pool gives the same guarantee to whoever
 * waits for it: once `sync()` resolves, every transaction committed before it was called is on disk
 * (checkpoints sync the WAL before copying it into the database, so frames that left it are on disk
 * as well). Until then the rows are visible to this connection, so whatever acts on them (answers,
 * claims of their runs) waits for `settled()` first.
 *
 * Syncs are coalesced: while one runs, the callers that arrive wait for the next, which starts as soon
 * as it ends and covers all of them, so a burst of batches costs two fdatasyncs, not one per batch.
 *
 * A failed fdatasync is final: Linux may drop the pages it could not write and report success to the
 * next fsync, so nothing committed since can be called durable. Every later sync fails with the first
 * error, until the service is restarted (which reads back what did reach the disk).
 */
export class WalSync implements Durability {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private unsynced = false;
  private failure: Error | undefined;
  private closed = false;
  /**
   * Kept open: opening and closing a handle per sync cost more CPU than the sync (bench P3). SQLite
   * deletes the WAL only when its last connection closes, and the service's stays open until close().
   */
  private file: Promise<FileHandle> | undefined;

  /** `databasePath`: the database SQLite opened; its WAL is found beside the real file (symlinks resolved). */
  constructor(private readonly databasePath: string) {}

  noteCommit(): void {
    this.unsynced = true;
  }

  settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    // Nothing noted since the running sync began: that one covers every noted commit.
    if (!this.unsynced) return this.running ?? Promise.resolve();
    return this.sync();
  }

  /** Resolves once everything committed before this call is durable; rejects if the sync failed. */
  sync(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    if (!this.running) {
      this.running = this.syncNow().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // A sync already under way may have started before the caller's commit: wait for the one after it.
    this.next ??= this.running
      .catch(() => {})
      .then(() => {
        this.next = undefined;
        return this.sync();
      });
    return this.next;
  }

  /** After the last sync, before the database closes. */
  async close(): Promise<void> {
    while (this.running || this.next) await (this.next ?? this.running)?.catch(() => {});
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await (await file?.catch(() => undefined))?.close();
  }

  private async syncNow(): Promise<void> {
    this.unsynced = false;
    try {
      this.file ??= open(`${realpathSync(this.databasePath)}-wal`, "r");
      await (await this.file).datasync();
    } catch (error) {
      this.failure = new Error(
        `the store's write-ahead log could not be synced to disk (${describeError(error)}); events since are not known to be durable: restart the service`,
        { cause: error },
      );
      throw this.failure;
    }
  }
}
