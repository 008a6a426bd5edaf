// The spawn helper: a small long-lived process (run with Bun) that starts step processes for the service.
//
// Why: `child_process.spawn` forks the calling process. Forking the service (a large heap, SQLite, ajv)
// took about 8 ms of its event loop per step, a fifth of its CPU at full load; forking this small Bun
// process costs under 1 ms, off the service's loop. Children get their own process group (setsid) as
// with a direct spawn; the service signals their groups itself, by pid.
import { type ChildProcess, spawn } from "node:child_process";
import { type FromSpawner, lineReader, type ToSpawner } from "./messages.js";

const children = new Map<number, { child: ChildProcess; adopted: boolean; dropped: boolean }>();

function send(message: FromSpawner): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function start(message: Extract<ToSpawner, { op: "spawn" }>): void {
  const { id } = message;
  let child: ChildProcess;
  try {
    child = spawn(message.command, message.args, {
      cwd: message.cwd,
      env: message.env,
      stdio: ["pipe", "pipe", "pipe"],
      detached: true,
    });
  } catch (error) {
    send({ op: "failed", id, code: (error as NodeJS.ErrnoException).code, message: String(error) });
    return;
  }
  const entry = { child, adopted: false, dropped: false };
  children.set(id, entry);
  child.once("error", (error: NodeJS.ErrnoException) => {
    // Only a failed start has no pid; later errors (a kill of a gone process) change nothing here.
    if (child.pid !== undefined) return;
    children.delete(id);
    send({ op: "failed", id, code: error.code, message: error.message });
  });
  if (child.pid === undefined) return;
  send({ op: "spawned", id, pid: child.pid });
  // A script that never reads its stdin closes the pipe early; that is not an error.
  child.stdin?.on("error", () => {});
  for (const stream of ["stdout", "stderr"] as const) {
    const pipe = child[stream];
    pipe?.setEncoding("utf8");
    pipe?.on("data", (text: string) => {
      if (!entry.dropped) send({ op: "out", id, stream, text });
    });
    pipe?.once("close", () => send({ op: "eof", id, stream }));
  }
  child.once("exit", (code, signal) => {
    send({ op: "exit", id, code, signal });
  });
  child.once("close", () => children.delete(id));
}

function handle(message: ToSpawner): void {
  if (message.op === "spawn") {
    start(message);
    return;
  }
  const entry = children.get(message.id);
  if (!entry) return;
  if (message.op === "stdin") entry.child.stdin?.write(message.text);
  else if (message.op === "end") entry.child.stdin?.end();
  else if (message.op === "adopted") entry.adopted = true;
  else if (message.op === "drop") {
    entry.dropped = true;
    entry.child.stdout?.destroy();
    entry.child.stderr?.destroy();
  }
}

// Signals are for the service, which stops its steps itself: a Ctrl-C reaching this process's group
// must not take the helper (and every step's output with it) down first.
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(name, () => {});

process.stdin.setEncoding("utf8");
process.stdin.on("data", lineReader<ToSpawner>(handle));
// The service is gone (it stopped, or was killed). Children it had not yet learned the pid of could
// never be found by it again, so they are killed; the others are left to it, as with a direct spawn.
process.stdin.once("end", () => {
  for (const { child, adopted } of children.values()) {
    if (adopted || child.pid === undefined) continue;
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
  }
  process.exit(0);
});
