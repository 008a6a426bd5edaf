// Making commits made with synchronous=NORMAL durable without blocking the event loop: one fdatasync
// of the WAL file, off the main thread, shared by every commit made before it started.
import { type FileHandle, open } from "node:fs/promises";

/**
 * In WAL mode a commit appends its frames to `<db>-wal`; synchronous=FULL then fsyncs that file inside
 * the commit, on the event loop (about 0.2 to 2 ms here, during which no request is read). Committing
 * with NORMAL and then fdatasync-ing the WAL from the thread pool gives the same guarantee: once
 * `sync()` resolves, every transaction committed before it was called is on disk (checkpoints sync
 * the WAL before copying it into the database, so frames that left it are on disk as well).
 *
 * Syncs are coalesced: while one runs, the callers that arrive wait for the next, which starts as soon
 * as it ends and covers all of them, so a burst of batches costs two fdatasyncs, not one per batch.
 */
export class WalSync {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  /**
   * Kept open: opening and closing a handle per sync cost more CPU than the sync (bench P3). SQLite
   * deletes the WAL only when its last connection closes, and the service's stays open until close().
   */
  private file: Promise<FileHandle> | undefined;

  constructor(private readonly databasePath: string) {}

  /** Resolves once everything committed before this call is durable; rejects if the sync failed. */
  sync(): Promise<void> {
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
    const file = this.file;
    this.file = undefined;
    await (await file?.catch(() => undefined))?.close();
  }

  private async syncNow(): Promise<void> {
    this.file ??= open(`${this.databasePath}-wal`, "r");
    let file: FileHandle;
    try {
      file = await this.file;
    } catch (error) {
      this.file = undefined;
      throw error;
    }
    await file.datasync();
  }
}
