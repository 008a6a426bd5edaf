// The accept path on a real SQLite file: group commit, answers only after the WAL is synced, and the
// event files that follow in the background.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { describe, expect, test } from "vitest";
import { AcceptQueue } from "../src/backend/accept-queue.js";
import { EventFileWriter } from "../src/backend/event-file-writer.js";
import type { FlowEvent } from "../src/core/types.js";
import { eventFileMark } from "../src/store/event-file-mark.js";
import { ensureEventsFolder, eventFileHolds, eventFilePath, writeEventFileSync } from "../src/store/event-files.js";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { WalSync } from "../src/store/wal-sync.js";
import { eventually } from "./backend-helpers.js";
import { tempDir } from "./helpers.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const receivedAt = new Date().toISOString();
const event = (id: string): FlowEvent => ({ id, type: "t", receivedAt, payload: { id } });

async function openDataDir(dataDir = tempDir()) {
  ensureEventsFolder(dataDir);
  const db = await openStore(join(dataDir, DATABASE_FILE));
  return { dataDir, db, path: join(dataDir, DATABASE_FILE) };
}

/** A WalSync whose syncs wait for the test to let them go, to see what happens before one ends. */
class HeldWalSync extends WalSync {
  readonly held: (() => void)[] = [];
  override async sync(options?: { onLoop?: boolean }): Promise<void> {
    await new Promise<void>((resolve) => this.held.push(resolve));
    return super.sync(options);
  }
}

describe("accept queue", () => {
  test("idle() waits for every flush, not only the newest", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    const queue = new AcceptQueue(db, wal, () => {});
    const answered: string[] = [];
    const accept = (e: FlowEvent) => queue.accept({ event: e, runs: [], skipped: [] }).then(() => answered.push(e.id));
    const first = accept(event("first"));
    await nextTurn();
    const second = accept(event("second"));
    await nextTurn();
    await queue.idle();
    expect(answered.sort()).toEqual(["first", "second"]);
    await Promise.all([first, second]);
    await wal.close();
    db.close();
  });

  test("one event that cannot be stored fails only its own request; the rest of its batch is stored", async () => {
    const { db, path } = await openDataDir();
    // A real failure inside the batch's transaction: SQLite refuses this one row.
    db.exec(
      "CREATE TRIGGER refuse_bad BEFORE INSERT ON events WHEN NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
    );
    const wal = new WalSync(path);
    const queue = new AcceptQueue(db, wal, () => {});
    const results = await Promise.allSettled(
      ["good1", "bad", "good2"].map((id) => queue.accept({ event: event(id), runs: [], skipped: [] })),
    );
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(
      /could not store event: .*refused by the test/,
    );
    expect(db.prepare("SELECT id FROM events ORDER BY seq").pluck().all()).toEqual(["good1", "good2"]);
    await wal.close();
    db.close();
  });

  test("an event is committed at once but answered, and announced, only after the WAL sync", async () => {
    const { db, path } = await openDataDir();
    const wal = new HeldWalSync(path);
    const announced: string[] = [];
    const queue = new AcceptQueue(db, wal, (accepted) => announced.push(...accepted.map((a) => a.eventId)));
    let answered = false;
    const accepting = queue.accept({ event: event("e1"), runs: [], skipped: [] }).then(() => {
      answered = true;
    });
    await eventually(() => wal.held.length === 1, 5_000, "the batch to reach its sync");
    expect(db.prepare("SELECT count(*) FROM events WHERE id = 'e1'").pluck().get()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect({ answered, announced }).toEqual({ answered: false, announced: [] });
    wal.held[0]?.();
    await accepting;
    expect(announced).toEqual(["e1"]);
    await wal.close();
    db.close();
  });

  test("concurrent syncs all resolve; a closed WalSync refuses to sync", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    db.prepare("INSERT INTO store_probe (id, at) VALUES (1, 1)").run();
    await Promise.all(Array.from({ length: 50 }, () => wal.sync()));
    await wal.close();
    await expect(wal.sync()).rejects.toThrow(/closed/);
    db.close();
  });

  test("a failed sync is final: later syncs fail with it, and the events' POSTs with them", async () => {
    const { db, dataDir } = await openDataDir();
    // A WAL that is not there (the database path is wrong): the first sync fails for real.
    const wal = new WalSync(join(dataDir, "elsewhere.sqlite"));
    const queue = new AcceptQueue(db, wal, () => {});
    await expect(queue.accept({ event: event("a"), runs: [], skipped: [] })).rejects.toThrow(
      /could not be synced to disk .*restart the service/,
    );
    await expect(wal.sync()).rejects.toThrow(/could not be synced/);
    await expect(wal.settled()).rejects.toThrow(/could not be synced/);
    await wal.close();
    db.close();
  });

  test("settled() waits for the sync that is running, not only for one it would start", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    db.prepare("INSERT INTO store_probe (id, at) VALUES (1, 1)").run();
    wal.noteCommit();
    let synced = false;
    const syncing = wal.sync().then(() => {
      synced = true;
    });
    // The commit's sync is on the thread now: nothing is unsynced, yet nothing is durable either.
    await wal.settled();
    expect(synced).toBe(true);
    await syncing;
    await wal.close();
    db.close();
  });

  test("poll() settles a sync the thread has finished, while the event loop is busy", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    let synced = false;
    const syncing = wal.sync().then(() => {
      synced = true;
    });
    // The loop stays blocked here, so the thread's message cannot arrive: only poll() can see the end.
    const deadline = Date.now() + 10_000;
    let polls = 0;
    while (wal.syncing && Date.now() < deadline) {
      wal.poll();
      polls += 1;
    }
    expect(wal.syncing).toBe(false);
    expect(polls).toBeGreaterThan(0);
    await syncing;
    expect(synced).toBe(true);
    await wal.close();
    db.close();
  });

  test("a lone event syncs on the loop; a batch of several hands its sync to the thread", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    const onLoop: boolean[] = [];
    const sync = wal.sync.bind(wal);
    wal.sync = (options) => {
      const syncing = sync(options);
      // On the loop the sync is over when it returns; on the thread it is still running.
      onLoop.push(!wal.syncing);
      return syncing;
    };
    const queue = new AcceptQueue(db, wal, () => {});
    await queue.accept({ event: event("alone"), runs: [], skipped: [] });
    await Promise.all(["b1", "b2", "b3"].map((id) => queue.accept({ event: event(id), runs: [], skipped: [] })));
    expect(onLoop).toEqual([true, false]);
    await wal.close();
    db.close();
  });

  test("a sync still waited for when the store closes runs, and so does the one queued behind it", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    const running = wal.sync();
    db.prepare("INSERT INTO store_probe (id, at) VALUES (1, 1)").run();
    wal.noteCommit();
    // Asked while the first runs: it needs a sync of its own, which close() must not refuse.
    const queued = wal.settled();
    await wal.close();
    await expect(Promise.all([running, queued])).resolves.toEqual([undefined, undefined]);
    await expect(wal.sync()).rejects.toThrow(/closed/);
    db.close();
  });

  test("the thread's request numbers wrap around instead of overflowing", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    await wal.sync();
    // Two syncs short of the largest number the shared Int32Array holds.
    const thread = (wal as unknown as { thread: { requested: number } }).thread;
    thread.requested = 0x7fffffff - 2;
    for (let n = 0; n < 4; n++) await wal.sync();
    expect(thread.requested).toBe(2);
    await wal.close();
    db.close();
  });

  test("when the sync thread dies, syncs run on the loop instead of failing", async () => {
    const { db, path } = await openDataDir();
    const wal = new WalSync(path);
    await wal.sync();
    const thread = (wal as unknown as { thread: { thread: Worker; lost: boolean } }).thread;
    await thread.thread.terminate();
    await eventually(() => thread.lost, 5_000, "the thread's exit to be seen");
    db.prepare("INSERT INTO store_probe (id, at) VALUES (1, 1)").run();
    wal.noteCommit();
    await wal.settled();
    await wal.sync();
    expect(wal.syncing).toBe(false);
    await wal.close();
    db.close();
  });

  test("a sync the thread cannot do fails for good, naming the system's error", async () => {
    const { db, dataDir } = await openDataDir();
    // A "WAL" that cannot be synced: fdatasync on /dev/null fails with EINVAL, on the thread.
    const fake = join(dataDir, "fake.sqlite");
    writeFileSync(fake, "");
    symlinkSync("/dev/null", `${fake}-wal`);
    const wal = new WalSync(fake);
    const queue = new AcceptQueue(db, wal, () => {});
    // Two events at once, so their sync goes to the thread (a lone one syncs on the loop).
    const results = await Promise.allSettled(
      ["a", "b"].map((id) => queue.accept({ event: event(id), runs: [], skipped: [] })),
    );
    for (const result of results) {
      expect(String((result as PromiseRejectedResult).reason)).toMatch(
        /could not be synced to disk \(EINVAL: invalid argument, fdatasync\).*restart the service/,
      );
    }
    await expect(wal.settled()).rejects.toThrow(/EINVAL/);
    // The same WAL synced on the loop fails the same way, for good.
    const onLoop = new WalSync(fake);
    await expect(onLoop.sync({ onLoop: true })).rejects.toThrow(/could not be synced to disk .*EINVAL.*restart/);
    await expect(onLoop.sync()).rejects.toThrow(/EINVAL/);
    await onLoop.close();
    await wal.close();
    db.close();
  });

  test("settled() waits only while a noted commit is not yet synced", async () => {
    const { db, path } = await openDataDir();
    const wal = new HeldWalSync(path);
    let settled = false;
    await wal.settled();
    wal.noteCommit();
    const waiting = wal.settled().then(() => {
      settled = true;
    });
    await eventually(() => wal.held.length === 1, 5_000, "the sync to start");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(settled).toBe(false);
    wal.held[0]?.();
    await waiting;
    await wal.close();
    db.close();
  });
});

describe("event file writer", () => {
  const insert = async (queue: AcceptQueue, ids: string[]) =>
    Promise.all(ids.map((id) => queue.accept({ event: event(id), runs: [], skipped: [] })));

  test("writes the files behind intake, moves the mark, and drain() writes what is owed", async () => {
    const { dataDir, db, path } = await openDataDir();
    const logs: string[] = [];
    const files = new EventFileWriter(db, dataDir, (line) => logs.push(line));
    files.start();
    const wal = new WalSync(path);
    const queue = new AcceptQueue(db, wal, () => files.noteAccepted());
    await insert(queue, ["a", "b", "c"]);
    await eventually(() => ["a", "b", "c"].every((id) => eventFileHolds(eventFilePath(dataDir, id), event(id))));
    await eventually(() => eventFileMark(db) === 3, 5_000, "the mark to reach the third event");
    await insert(queue, ["d"]);
    await files.drain();
    expect(eventFileHolds(eventFilePath(dataDir, "d"), event("d"))).toBe(true);
    expect(eventFileMark(db)).toBe(4);
    expect(logs).toEqual([]);
    await wal.close();
    db.close();
  });

  test("an owed file already holding its event is kept; one holding anything else is rewritten", async () => {
    const { dataDir, db, path } = await openDataDir();
    const wal = new WalSync(path);
    const queue = new AcceptQueue(db, wal, () => {});
    await insert(queue, ["kept", "stale"]);
    // A reader wrote "kept" first; "stale" holds something else (a torn write).
    writeEventFileSync(dataDir, event("kept"));
    const keptInode = statSync(eventFilePath(dataDir, "kept")).ino;
    writeFileSync(eventFilePath(dataDir, "stale"), '{"id": "st');
    const files = new EventFileWriter(db, dataDir, () => {});
    files.start();
    await files.drain();
    expect(statSync(eventFilePath(dataDir, "kept")).ino).toBe(keptInode);
    expect(JSON.parse(readFileSync(eventFilePath(dataDir, "stale"), "utf8"))).toEqual(event("stale"));
    expect(eventFileMark(db)).toBe(2);
    await wal.close();
    db.close();
  });

  test("a file that cannot be written stops the writer at it, leaves no temp file, and is retried", async () => {
    const { dataDir, db, path } = await openDataDir();
    const wal = new WalSync(path);
    const logs: string[] = [];
    const files = new EventFileWriter(db, dataDir, (line) => logs.push(line));
    const queue = new AcceptQueue(db, wal, () => files.noteAccepted());
    // A folder where the file should go: the rename onto it fails, as a full disk would fail the write.
    mkdirSync(join(eventFilePath(dataDir, "blocked"), "inside"), { recursive: true });
    files.start();
    await insert(queue, ["first", "blocked", "after"]);
    await eventually(() => logs.length === 1, 5_000, "the failure to be logged");
    expect(logs[0]).toMatch(/could not write the event file for blocked: .*retrying every 1 s/);
    expect(eventFileMark(db)).toBe(1);
    expect(readdirSync(join(dataDir, "events")).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    rmSync(eventFilePath(dataDir, "blocked"), { recursive: true });
    await eventually(() => eventFileMark(db) === 3, 5_000, "the retry to write the rest");
    expect(eventFileHolds(eventFilePath(dataDir, "after"), event("after"))).toBe(true);
    expect(logs[1]).toBe("event files are being written again (from blocked)");
    await files.drain();
    await wal.close();
    db.close();
  });

  test("a restart writes the files a stopped service still owed, and repairs damaged ones before the mark", async () => {
    const { dataDir, db, path } = await openDataDir();
    const wal = new WalSync(path);
    // No writer: the service stopped (kill -9) before any file was written.
    const queue = new AcceptQueue(db, wal, () => {});
    await insert(queue, ["x", "y"]);
    await wal.close();
    db.close();

    const again = await openDataDir(dataDir);
    const logs: string[] = [];
    const files = new EventFileWriter(again.db, dataDir, (line) => logs.push(line));
    files.start();
    await files.drain();
    expect(eventFileMark(again.db)).toBe(2);
    expect(eventFileHolds(eventFilePath(dataDir, "x"), event("x"))).toBe(true);
    expect(eventFileHolds(eventFilePath(dataDir, "y"), event("y"))).toBe(true);
    // A power loss may tear files the mark already covers: the next start rewrites them.
    writeFileSync(eventFilePath(dataDir, "x"), '{"id": "x');
    const third = new EventFileWriter(again.db, dataDir, (line) => logs.push(line));
    expect(third.repairRecent()).toBe(1);
    expect(JSON.parse(readFileSync(eventFilePath(dataDir, "x"), "utf8"))).toEqual(event("x"));
    expect(logs).toEqual(["rewrote 1 event file(s) that were missing or damaged"]);
    again.db.close();
  });
});
