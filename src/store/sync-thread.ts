// A thread that fdatasyncs a file on request, so the event loop never waits for the disk.
import { Worker } from "node:worker_threads";

/** Slots of the shared state: what the two threads tell each other, without the event loop. */
const REQUESTED = 0;
const FINISHED = 1;
const OUTCOME = 2;
const FILE = 3;
const STOP = 4;

/**
 * The thread's whole program. It sleeps in Atomics.wait until REQUESTED moves, syncs the descriptor
 * in FILE (shared: threads share the process's descriptors), then publishes the outcome (0 or a
 * negative errno) and the request's number, and posts a message to wake an idle event loop. STOP
 * set to 1 ends it.
 */
const PROGRAM = `
const { workerData, parentPort } = require("node:worker_threads");
const { fdatasyncSync } = require("node:fs");
const state = new Int32Array(workerData);
let seen = 0;
for (;;) {
  Atomics.wait(state, ${REQUESTED}, seen);
  if (Atomics.load(state, ${STOP}) === 1) break;
  const request = Atomics.load(state, ${REQUESTED});
  let outcome = 0;
  try {
    fdatasyncSync(Atomics.load(state, ${FILE}));
  } catch (error) {
    outcome = typeof error.errno === "number" && error.errno < 0 ? error.errno : -5;
  }
  Atomics.store(state, ${OUTCOME}, outcome);
  Atomics.store(state, ${FINISHED}, request);
  parentPort.postMessage(request);
  seen = request;
}
`;

/** The largest request number the shared Int32Array holds; the next one is 1 again. */
const LAST_REQUEST = 0x7fffffff;

/** What a finished sync came to: 0, a negative errno, or "lost" when the thread died under it. */
export type SyncOutcome = number | "lost";

/**
 * One sync at a time. The owner learns that one finished either from `finished()`, which reads the
 * shared state directly (the HTTP front asks on every request, so answers never queue behind the
 * loop's other work), or from `onFinished`, called from the thread's message when the loop is idle.
 */
export class SyncThread {
  private readonly state = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT));
  private readonly thread: Worker;
  private requested = 0;
  private stopping = false;
  /** Set when the thread died: nothing started on it will ever finish. */
  lost = false;

  constructor(onFinished: () => void) {
    this.thread = new Worker(PROGRAM, { eval: true, workerData: this.state.buffer });
    this.thread.on("message", onFinished);
    const died = () => {
      if (this.stopping) return;
      this.lost = true;
      this.thread.unref();
      onFinished();
    };
    this.thread.on("error", died);
    this.thread.on("exit", died);
    // Held only while a sync runs: an idle thread never keeps the process alive.
    this.thread.unref();
  }

  /** Starts syncing `file`; the previous sync must have finished. */
  start(file: number): void {
    if (this.lost) throw new Error("the sync thread stopped");
    // Wraps instead of overflowing: the thread only compares it with the last one it saw.
    this.requested = this.requested === LAST_REQUEST ? 1 : this.requested + 1;
    Atomics.store(this.state, FILE, file);
    Atomics.store(this.state, REQUESTED, this.requested);
    Atomics.notify(this.state, REQUESTED);
    this.thread.ref();
  }

  /** The outcome of the sync last started, once it finished (undefined while it runs). */
  finished(): SyncOutcome | undefined {
    if (Atomics.load(this.state, FINISHED) === this.requested) {
      this.thread.unref();
      return Atomics.load(this.state, OUTCOME);
    }
    if (this.lost) return "lost";
    return undefined;
  }

  /** Stops the thread (after its last sync). */
  async close(): Promise<void> {
    this.stopping = true;
    Atomics.store(this.state, STOP, 1);
    // Moves REQUESTED too, so a thread asleep on it wakes up and sees STOP.
    Atomics.add(this.state, REQUESTED, 1);
    Atomics.notify(this.state, REQUESTED);
    await this.thread.terminate();
  }
}
