// The spawn helper: a small long-lived Bun process that starts step processes for the service.
//
// Why: `child_process.spawn` forks the calling process, and forking the service (its heap, SQLite,
// ajv) cost it about 3 ms of CPU on its event loop per step at 180 MB, more as it grows; Bun.spawn
// here uses posix_spawn from a small process, and the service's loop only writes a line. Children get
// their own process group (setsid), as with a direct spawn; the service signals their groups itself.
/// <reference path="./bun-api.d.ts" />
import { type FromSpawner, lineReader, type ToSpawner } from "./messages.js";

interface Entry {
  process: BunSubprocess;
  adopted: boolean;
  /** Exit and the two outputs still to come. */
  pending: number;
  readers: ReadableStreamDefaultReader<Uint8Array>[];
}

const children = new Map<number, Entry>();
const out = Bun.stdout.writer();

/** A write to a pipe whose reader is gone rejects later; that is the reader's business, not an error here. */
function quietly(result: number | Promise<number>): void {
  if (result instanceof Promise) result.catch(() => {});
}

let flush: Promise<unknown> | undefined;

/**
 * Resolves once the line is on its way; a pending one means the service reads slower than steps
 * write. Lines written in one turn of the event loop go out in one flush, so the service wakes once
 * for them (a step's last output, its two ends and its exit often come together).
 */
function send(message: FromSpawner): Promise<unknown> {
  quietly(out.write(`${JSON.stringify(message)}\n`));
  flush ??= new Promise((resolve) =>
    setImmediate(() => {
      flush = undefined;
      const flushed = out.flush();
      quietly(flushed);
      resolve(flushed instanceof Promise ? flushed.catch(() => {}) : undefined);
    }),
  );
  return flush;
}

async function forward(id: number, stream: "stdout" | "stderr", reader: ReadableStreamDefaultReader<Uint8Array>) {
  const decoder = new TextDecoder();
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      // Decoded as a stream: a character split across two reads arrives whole.
      const text = decoder.decode(value, { stream: true });
      // Waiting for the line to go out before reading more keeps the pipe's flow control: a step
      // that floods its output is slowed down, as with a direct spawn, instead of growing this buffer.
      if (text.length > 0) await send({ op: "out", id, stream, text });
    }
    const rest = decoder.decode();
    if (rest.length > 0) send({ op: "out", id, stream, text: rest });
  } catch {
    // Canceled (the service dropped the output) or the pipe broke: the output ends here either way.
  }
  send({ op: "eof", id, stream });
}

/** A child is forgotten once it has exited and both its outputs are done: a "drop" can still reach it. */
function settle(id: number, entry: Entry): void {
  entry.pending -= 1;
  if (entry.pending === 0) children.delete(id);
}

function start(message: Extract<ToSpawner, { op: "spawn" }>): void {
  const { id } = message;
  let child: BunSubprocess;
  try {
    child = Bun.spawn([message.command, ...message.args], {
      cwd: message.cwd,
      env: message.env,
      stdin: "pipe",
      stdout: "pipe",
      stderr: "pipe",
      detached: true,
    });
  } catch (error) {
    const { code, message: text } = error as NodeJS.ErrnoException;
    send({ op: "failed", id, code, message: text ?? String(error) });
    return;
  }
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const entry: Entry = { process: child, adopted: false, pending: 3, readers };
  children.set(id, entry);
  send({ op: "spawned", id, pid: child.pid });
  void forward(id, "stdout", readers[0] as ReadableStreamDefaultReader<Uint8Array>).then(() => settle(id, entry));
  void forward(id, "stderr", readers[1] as ReadableStreamDefaultReader<Uint8Array>).then(() => settle(id, entry));
  void child.exited.then(() => {
    send({ op: "exit", id, code: child.signalCode ? null : child.exitCode, signal: child.signalCode });
    settle(id, entry);
  });
}

function handle(message: ToSpawner): void {
  if (message.op === "spawn") {
    start(message);
    return;
  }
  const entry = children.get(message.id);
  if (!entry) return;
  try {
    if (message.op === "stdin") {
      quietly(entry.process.stdin.write(message.text));
      quietly(entry.process.stdin.flush());
    } else if (message.op === "end") quietly(entry.process.stdin.end());
    else if (message.op === "adopted") entry.adopted = true;
    else if (message.op === "drop") for (const reader of entry.readers) void reader.cancel().catch(() => {});
  } catch {
    // A child that closed its stdin early (or is gone): nothing to deliver to.
  }
}

// Signals are for the service, which stops its steps itself: a Ctrl-C reaching this process's group
// must not take the helper (and every step's output with it) down first.
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(name, () => {});
// One step's broken pipe must never end the helper, and with it the output of every other step.
process.on("unhandledRejection", () => {});

const read = lineReader<ToSpawner>(handle);
const decoder = new TextDecoder();
for await (const chunk of Bun.stdin.stream()) read(decoder.decode(chunk, { stream: true }));
// Lines of this turn are still in the writer: they go out first (a child's exit among them).
await flush;
// The service is gone (it stopped, or was killed). Children it had not yet learned the pid of could
// never be found by it again, so they are killed; the others are left to it, as with a direct spawn.
for (const { process: child, adopted } of children.values()) {
  if (adopted) continue;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
}
process.exit(0);
