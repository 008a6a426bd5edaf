// The WAL checkpoint thread: it keeps the WAL from growing while the service's own connection never
// checkpoints, and when it cannot run, that connection checkpoints by itself again.
import { statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { startCheckpointer } from "../src/store/checkpointer.js";
import { openStore } from "../src/store/open-store.js";
import type { Database } from "../src/store/sqlite.js";
import { tempDir } from "./helpers.js";

/** Writes about 2 MB (~500 pages) in one commit. */
function writeBatch(db: Database, batch: number): void {
  const insert = db.prepare("INSERT INTO filler (n, text) VALUES (?, ?)");
  db.transaction(() => {
    for (let i = 0; i < 500; i++) insert.run(batch * 500 + i, "x".repeat(4_000));
  })();
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test("with the thread running the WAL stays small, and the service's connection never checkpoints", async () => {
  const path = join(tempDir("codex-flows-checkpoint-"), "backend.sqlite");
  const db = await openStore(path);
  db.exec("CREATE TABLE filler (n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  const lines: string[] = [];
  const checkpointer = startCheckpointer(db, path, (line) => lines.push(line), 20);
  try {
    await until(() => db.pragma("wal_autocheckpoint", { simple: true }) === 0, "the thread to take over");
    // 40 MB through the WAL; without checkpoints it would hold all of it.
    for (let batch = 0; batch < 20; batch++) {
      writeBatch(db, batch);
      await sleep(60);
    }
    expect(statSync(`${path}-wal`).size).toBeLessThan(12 * 1024 * 1024);
    expect(lines).toEqual([]);
  } finally {
    await checkpointer.stop();
  }
  // After stop the connection checkpoints by itself again, and it can close as the last one.
  expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  db.close();
}, 30_000);

test("a thread that cannot open the store leaves checkpoints to the connection, with one warning", async () => {
  const dir = tempDir("codex-flows-checkpoint-");
  const db = await openStore(join(dir, "backend.sqlite"));
  const lines: string[] = [];
  const checkpointer = startCheckpointer(db, join(dir, "missing.sqlite"), (line) => lines.push(line), 20);
  try {
    await until(() => lines.length > 0, "the warning");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/checkpoint thread (failed|exited).*checkpoints on its own again/);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
  } finally {
    await checkpointer.stop();
    db.close();
  }
});

test("under writes without a pause the WAL still starts over: the connection checkpoints itself past the limit", async () => {
  const path = join(tempDir("codex-flows-checkpoint-"), "backend.sqlite");
  const db = await openStore(path);
  db.exec("CREATE TABLE filler (n INTEGER PRIMARY KEY, text TEXT NOT NULL)");
  const checkpointer = startCheckpointer(db, path, () => {}, 20);
  try {
    await until(() => db.pragma("wal_autocheckpoint", { simple: true }) === 0, "the thread to take over");
    const insert = db.prepare("INSERT INTO filler (text) VALUES (?)");
    let largest = 0;
    // A commit every turn of the event loop for 2 s: about 300 MB through the WAL here.
    const until2s = Date.now() + 2_000;
    while (Date.now() < until2s) {
      db.transaction(() => {
        for (let i = 0; i < 5; i++) insert.run("x".repeat(3_000));
      })();
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // 4,000 frames of 4 KiB, plus what arrives before the next report.
    expect(largest).toBeLessThan(40 * 1024 * 1024);
  } finally {
    await checkpointer.stop();
    db.close();
  }
}, 30_000);

test("a thread that ends after taking over hands checkpoints back to the connection, with one warning", async () => {
  const path = join(tempDir("codex-flows-checkpoint-"), "backend.sqlite");
  const db = await openStore(path);
  const lines: string[] = [];
  const checkpointer = startCheckpointer(db, path, (line) => lines.push(line), 20);
  try {
    await until(() => db.pragma("wal_autocheckpoint", { simple: true }) === 0, "the thread to take over");
    await checkpointer.thread?.terminate();
    await until(() => lines.length > 0, "the warning");
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
    await sleep(100);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/checkpoint thread exited .*checkpoints on its own again/);
  } finally {
    await checkpointer.stop();
    db.close();
  }
});
