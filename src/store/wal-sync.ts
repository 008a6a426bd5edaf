// Making commits made with synchronous=NORMAL durable: one fdatasync of the WAL, shared by every
// commit made before it.
import { closeSync, fdatasyncSync, openSync, realpathSync } from "node:fs";
import { describeError } from "../core/errors.js";

/** What the lease protocol needs to hand out only runs whose events are on disk. */
export interface Durability {
  /** A commit that must become durable before anything acts on it (events stored) was just made. */
  noteCommit(): void;
  /** Resolves once every commit noted so far is on disk (at once when none is pending). */
  settled(): Promise<void>;
}

/**
 * In WAL mode a commit appends its frames to `<db>-wal`, and synchronous=FULL fsyncs that file inside
 * every commit. Committing with NORMAL and then calling `sync()` gives the same guarantee to whoever
 * waits for it: once `sync()` resolves, every transaction committed before it was called is on disk
 * (checkpoints sync the WAL before copying it into the database, so frames that left it are on disk
 * as well), and a batch of commits shares one sync. Until then the rows are visible to this
 * connection, so whatever acts on them (answers, claims of their runs) waits for `settled()` first.
 *
 * The fdatasync runs on the calling thread, as SQLite's own would. It ran in the thread pool once, so
 * the event loop could read requests meanwhile, but its completion then waited for the loop to get
 * round to it, behind every request that had arrived: at 32 connections the loop idled a sixth of
 * the time, every client waiting on one big batch, and intake was about a tenth slower (bench P3:
 * 3,450 against 3,880 events/s, medians of six interleaved runs).
 *
 * A failed fdatasync is final: Linux may drop the pages it could not write and report success to the
 * next fsync, so nothing committed since can be called durable. Every later sync fails with the first
 * error, until the service is restarted (which reads back what did reach the disk).
 */
export class WalSync implements Durability {
  private unsynced = false;
  private failure: Error | undefined;
  private closed = false;
  /**
   * Kept open, so a sync is one system call. SQLite deletes the WAL only when its last connection
   * closes, and the service's stays open until close().
   */
  private file: number | undefined;

  /** `databasePath`: the database SQLite opened; its WAL is found beside the real file (symlinks resolved). */
  constructor(private readonly databasePath: string) {}

  noteCommit(): void {
    this.unsynced = true;
  }

  settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.unsynced ? this.sync() : Promise.resolve();
  }

  /** Resolves once everything committed before this call is durable; rejects if the sync failed. */
  sync(): Promise<void> {
    try {
      this.syncNow();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** After the last sync, before the database closes. */
  async close(): Promise<void> {
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    if (file !== undefined) closeSync(file);
  }

  private syncNow(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error("the store is closed");
    this.unsynced = false;
    try {
      this.file ??= openSync(`${realpathSync(this.databasePath)}-wal`, "r");
      fdatasyncSync(this.file);
    } catch (error) {
      this.failure = new Error(
        `the store's write-ahead log could not be synced to disk (${describeError(error)}); events since are not known to be durable: restart the service`,
        { cause: error },
      );
      throw this.failure;
    }
  }
}
