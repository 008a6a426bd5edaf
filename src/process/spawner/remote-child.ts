// A step process started by the spawn helper, shaped like the parts of ChildProcess the runners use.
import { EventEmitter } from "node:events";
import { PassThrough, Writable } from "node:stream";
import type { ToSpawner } from "./messages.js";

/**
 * Emits `spawn`, `error` (a failed start), `exit` (code, signal) and `close` (code, signal, once the
 * process has exited and both output streams are done), like ChildProcess. `pid` is set once the
 * helper has started it; `started` resolves then (or with undefined if it could not start).
 */
export class RemoteChild extends EventEmitter {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly stdin: Writable;
  readonly started: Promise<number | undefined>;
  private markStarted: (pid: number | undefined) => void = () => {};
  private exited = false;
  private open = 2;

  constructor(
    readonly id: number,
    send: (message: ToSpawner) => void,
  ) {
    super();
    this.started = new Promise((resolve) => {
      this.markStarted = resolve;
    });
    this.stdin = new Writable({
      write: (chunk: Buffer | string, _encoding, done) => {
        send({ op: "stdin", id, text: chunk.toString() });
        done();
      },
      final: (done) => {
        send({ op: "end", id });
        done();
      },
    });
    for (const stream of [this.stdout, this.stderr]) {
      stream.once("close", () => {
        // A runner that destroys the pipes (an escaped process holds them) is done with the output.
        if (!stream.readableEnded) send({ op: "drop", id });
        this.open -= 1;
        this.maybeClose();
      });
    }
  }

  spawned(pid: number): void {
    this.pid = pid;
    this.markStarted(pid);
    this.emit("spawn");
  }

  failed(error: NodeJS.ErrnoException): void {
    this.markStarted(undefined);
    this.stdout.destroy();
    this.stderr.destroy();
    this.emit("error", error);
  }

  output(stream: "stdout" | "stderr", text: string): void {
    this[stream].write(text);
  }

  eof(stream: "stdout" | "stderr"): void {
    this[stream].end();
    // A PassThrough nobody reads never ends; output already forwarded has been read by now.
    this[stream].resume();
  }

  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.exitCode = code;
    this.signalCode = signal;
    this.emit("exit", code, signal);
    this.maybeClose();
  }

  /** The helper died under it: the step's output pipes went with it, so its output ends here, saying why. */
  lost(why: string): void {
    // A kill waiting for the pid must not wait forever for a helper that will never answer.
    this.markStarted(this.pid);
    if (!this.stderr.writableEnded) this.stderr.write(`[codex-flows: ${why}; the step was stopped]\n`);
    this.eof("stdout");
    this.eof("stderr");
    this.exit(null, "SIGKILL");
  }

  private maybeClose(): void {
    if (this.exited && this.open === 0) this.emit("close", this.exitCode, this.signalCode);
  }
}
