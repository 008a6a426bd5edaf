// Checkpointing the store's WAL from a worker thread, so its fsyncs never stop the event loop.
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { describeError } from "../core/errors.js";
import type { Database } from "./sqlite.js";

/** How often the thread checkpoints; one with nothing new to copy costs a few µs. */
export const CHECKPOINT_EVERY_MS = 100;
/** SQLite's own default, restored when the thread cannot run. */
const AUTO_CHECKPOINT_PAGES = 1_000;
/**
 * WAL frames past which the service's connection checkpoints again itself. The WAL starts over only
 * when a commit finds it checkpointed to the end, and under steady intake a checkpoint from another
 * connection always ends while newer frames arrive: left alone the WAL grew by 150 MB a second in a
 * test. A checkpoint inside the next commit ends it; most frames are copied by then.
 */
const WAL_LIMIT_FRAMES = 4_000;

/**
 * The thread's code: its own connection, a PASSIVE checkpoint every `everyMs` (it never waits for,
 * nor blocks, the service's connection), and one more before it closes on "stop". The connection
 * syncs at FULL, so each checkpoint syncs the WAL before copying it and the database after.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = FULL");
const checkpoint = () => {
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)");
    parentPort.postMessage({ log: row.log });
  } catch (error) {
    parentPort.postMessage({ warning: String(error && error.message || error) });
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on("message", (message) => {
  if (message !== "stop") return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
`;

export interface Checkpointer {
  /** Ends the thread after a last checkpoint; the service's connection can then close as the last one. */
  stop(): Promise<void>;
  /** The thread, when it could be started (tests end it to see the connection take checkpoints back). */
  readonly thread: Worker | undefined;
}

/**
 * Takes checkpoints over from `db` (the service's connection): SQLite runs them inside whichever
 * commit crosses 1,000 WAL pages, and their two fsyncs (1 to 10 ms here) then stop every request
 * and every step start behind that commit (bench P4's p99, P5). Until the thread is ready, while a
 * checkpoint fails, and for good once the thread is gone, `db` checkpoints by itself as before, so
 * the WAL never grows without bound.
 */
export function startCheckpointer(
  db: Database,
  path: string,
  log: (line: string) => void,
  everyMs = CHECKPOINT_EVERY_MS,
): Checkpointer {
  let stopping = false;
  let failed = false;
  const selfCheckpointing = (why: string) => {
    if (!failed) log(`warning: the WAL checkpoint thread ${why}; the store checkpoints on its own again`);
    failed = true;
    if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  let worker: Worker;
  try {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { driver, path, everyMs } });
  } catch (error) {
    selfCheckpointing(`could not start (${describeError(error)})`);
    return { stop: async () => {}, thread: undefined };
  }
  // A service that exits without stop() (a crash path) is not held up by the thread.
  worker.unref();
  let selfLimit: number | undefined;
  /** The connection's own checkpoints: none while the thread keeps up, SQLite's default while it cannot. */
  const setSelfLimit = (pages: number) => {
    if (pages === selfLimit || stopping || failed || !db.open) return;
    db.pragma(`wal_autocheckpoint = ${pages}`);
    selfLimit = pages;
  };
  let failures = 0;
  worker.on("message", (message: { ready?: true; log?: number; warning?: string }) => {
    if (message.ready) setSelfLimit(0);
    // -1: another checkpoint was running (the connection's own); the next report tells.
    if (message.log !== undefined && message.log >= 0) {
      if (failures > 0) log(`WAL checkpoints work again (after ${failures} failed)`);
      failures = 0;
      setSelfLimit(message.log >= WAL_LIMIT_FRAMES ? AUTO_CHECKPOINT_PAGES : 0);
    }
    if (message.warning) {
      // Said once per run of failures (ten a second otherwise); meanwhile the connection checkpoints.
      if (failures === 0)
        log(`warning: a WAL checkpoint failed: ${message.warning}; the store checkpoints on its own meanwhile`);
      failures += 1;
      setSelfLimit(AUTO_CHECKPOINT_PAGES);
    }
  });
  worker.on("error", (error) => selfCheckpointing(`failed (${describeError(error)})`));
  const exited = new Promise<void>((resolve) => {
    worker.once("exit", (code) => {
      if (!stopping) selfCheckpointing(`exited (code ${code})`);
      resolve();
    });
  });
  return {
    thread: worker,
    async stop() {
      if (!stopping) {
        stopping = true;
        if (db.open) db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
        worker.postMessage("stop");
      }
      // A checkpoint waits at most busy_timeout (5 s) for a lock; past twice that the thread is stuck.
      const stuck = setTimeout(() => void worker.terminate(), 10_000);
      await exited;
      clearTimeout(stuck);
    },
  };
}
