// Making commits made with synchronous=NORMAL durable: one fdatasync of the WAL, shared by every
// commit made before it, run on a thread of its own.
import { closeSync, fdatasyncSync, openSync, realpathSync } from "node:fs";
import { getSystemErrorMap } from "node:util";
import { describeError } from "../core/errors.js";
import { SyncThread } from "./sync-thread.js";

/** What the lease protocol needs to hand out only runs whose events are on disk. */
export interface Durability {
  /** A commit that must become durable before anything acts on it (events stored) was just made. */
  noteCommit(): void;
  /** Resolves once every commit noted so far is on disk (at once when none is pending). */
  settled(): Promise<void>;
}

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A negative errno from the thread, worded as Node words a failed fdatasync on the loop. */
function systemError(errno: number): string {
  const [name, message] = getSystemErrorMap().get(errno) ?? [`errno ${errno}`, "unknown error"];
  return `${name}: ${message}, fdatasync`;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

/**
 * In WAL mode a commit appends its frames to `<db>-wal`, and synchronous=FULL fsyncs that file inside
 * every commit. Committing with NORMAL and then calling `sync()` gives the same guarantee to whoever
 * waits for it: once `sync()` resolves, every transaction committed before it was called is on disk
 * (checkpoints sync the WAL before copying it into the database, so frames that left it are on disk
 * as well), and a batch of commits shares one sync. Until then the rows are visible to this
 * connection, so whatever acts on them (answers, claims of their runs) waits for `settled()` first.
 *
 * The fdatasync runs on a SyncThread, one at a time; syncs asked for meanwhile share the next one.
 * On the event loop it blocked the loop for 0.7 ms per batch at 32 connections, a fifth of the
 * loop's time, while requests waited in their sockets. In libuv's thread pool its completion waited
 * for the loop to get round to it, behind every request that had arrived. On a thread of its own,
 * whose end `poll()` reads from shared memory on every request, the loop reads, checks and queues
 * the next batch meanwhile, and the batch's answers go out as soon as it ends (bench P3). A caller
 * with nothing to do meanwhile syncs on the loop (`onLoop`): at one connection the hand-off to the
 * thread and back cost a tenth of intake.
 *
 * A failed fdatasync is final: Linux may drop the pages it could not write and report success to the
 * next fsync, so nothing committed since can be called durable. Every later sync fails with the first
 * error, until the service is restarted (which reads back what did reach the disk).
 */
export class WalSync implements Durability {
  /** A commit was noted after the running sync (if any) started. */
  private unsynced = false;
  private failure: Error | undefined;
  private closed = false;
  /**
   * Kept open, so a sync is one system call. SQLite deletes the WAL only when its last connection
   * closes, and the service's stays open until close().
   */
  private file: number | undefined;
  private thread: SyncThread | undefined;
  /** Who waits for the sync that runs now. */
  private running: Waiters | undefined;
  /** Who asked while it ran: they wait for the next one, which starts when it ends. */
  private queued: Waiters | undefined;

  /** `databasePath`: the database SQLite opened; its WAL is found beside the real file (symlinks resolved). */
  constructor(private readonly databasePath: string) {}

  /** Whether a sync is running. */
  get syncing(): boolean {
    return this.running !== undefined;
  }

  noteCommit(): void {
    this.unsynced = true;
  }

  settled(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.unsynced) return this.sync();
    return this.running?.promise ?? Promise.resolve();
  }

  /**
   * Resolves once everything committed before this call is durable; rejects if the sync failed.
   * `onLoop`: sync on the calling thread, for a caller with nothing to do meanwhile (a batch of one
   * event: one sender waiting); handing the sync to the thread and being woken back costs it more.
   */
  sync(options: { onLoop?: boolean } = {}): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    return this.begin(options.onLoop === true);
  }

  /**
   * Settles the running sync if the thread has finished it, without waiting for the event loop to
   * deliver the thread's message. Cheap (an atomic read); the HTTP front calls it on every request.
   */
  poll(): void {
    if (!this.running || !this.thread) return;
    const outcome = this.thread.finished();
    if (outcome === undefined) return;
    const done = this.running;
    this.running = undefined;
    if (outcome === "lost") {
      // The thread died (not the disk): one sync here covers whatever it was syncing, and later
      // syncs run here too.
      this.begin(true).then(done.resolve, done.reject);
    } else {
      if (outcome !== 0) this.fail(systemError(outcome));
      if (this.failure) done.reject(this.failure);
      else done.resolve();
    }
    // Whoever asked meanwhile gets the next sync, even while closing: they wait for it.
    const next = this.queued;
    this.queued = undefined;
    if (next) this.begin(false).then(next.resolve, next.reject);
  }

  /** After the last sync, before the database closes. */
  async close(): Promise<void> {
    this.closed = true;
    // Claims and completions may still wait for syncs (what they cover is committed): let them end.
    while (this.running) await this.running.promise.catch(() => {});
    const thread = this.thread;
    this.thread = undefined;
    await thread?.close();
    const file = this.file;
    this.file = undefined;
    if (file !== undefined) closeSync(file);
  }

  /** A sync on the thread (or here, for `onLoop`, or once the thread is lost). */
  private begin(onLoop: boolean): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      this.file ??= this.openWal();
      if (onLoop || this.thread?.lost) {
        // Covers every commit so far, whatever the thread is doing; its own waiters still wait for it.
        this.unsynced = false;
        fdatasyncSync(this.file);
        return Promise.resolve();
      }
      if (this.running) {
        // The running sync may have started before this call's commits: they need the next one.
        this.queued ??= waiters();
        return this.queued.promise;
      }
      this.thread ??= new SyncThread(() => this.poll());
      this.unsynced = false;
      this.thread.start(this.file);
    } catch (error) {
      return Promise.reject(this.fail(error));
    }
    this.running = waiters();
    return this.running.promise;
  }

  private openWal(): number {
    return openSync(`${realpathSync(this.databasePath)}-wal`, "r");
  }

  private fail(cause: unknown): Error {
    this.failure ??= new Error(
      `the store's write-ahead log could not be synced to disk (${typeof cause === "string" ? cause : describeError(cause)}); events since are not known to be durable: restart the service`,
      { cause },
    );
    return this.failure;
  }
}
