// The service's side of the spawn helper: starts it, sends it spawns, routes its answers to RemoteChilds.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type FromSpawner, lineReader, type ToSpawner } from "./messages.js";
import { RemoteChild } from "./remote-child.js";

export interface SpawnRequest {
  command: string;
  args: string[];
  cwd?: string;
  env: NodeJS.ProcessEnv;
}

/** The helper's script: built beside the bundle (dist/spawner.js), or the source when run from src/. */
function helperScript(): string {
  for (const name of ["./spawner.js", "./spawner-main.ts"]) {
    const path = fileURLToPath(new URL(name, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new Error("the spawn helper's script (dist/spawner.js) is missing: reinstall codex-flows");
}

export class Spawner {
  private readonly process: ChildProcess;
  private readonly children = new Map<number, RemoteChild>();
  private nextId = 1;
  private gone = false;
  private heard = false;
  private outgoing = "";
  private flushScheduled = false;
  readonly exited: Promise<void>;

  /**
   * Starts the helper with `bun`. `onGone` hears of a helper that died while in use: its running steps
   * have lost their output pipes, and the caller stops them.
   */
  constructor(
    bun: string,
    private readonly onGone: (orphans: RemoteChild[], why: string) => void,
  ) {
    this.process = spawn(bun, [helperScript()], { stdio: ["pipe", "pipe", "inherit"] });
    this.process.stdin?.on("error", () => {});
    this.process.stdout?.setEncoding("utf8").on(
      "data",
      lineReader<FromSpawner>((message) => this.route(message)),
    );
    this.exited = new Promise((resolve) => {
      this.process.once("close", (code, signal) => {
        this.gone = true;
        resolve();
        const orphans = [...this.children.values()];
        this.children.clear();
        if (orphans.length > 0) this.onGone(orphans, `the spawn helper exited (${signal ?? `code ${code}`})`);
      });
    });
    this.process.once("error", (error) => {
      this.gone = true;
      for (const child of this.children.values()) child.failed(error);
      this.children.clear();
    });
  }

  /** False once the helper has exited or could not start: spawn directly instead. */
  get usable(): boolean {
    return !this.gone;
  }

  spawn(request: SpawnRequest): RemoteChild {
    const id = this.nextId++;
    const child = new RemoteChild(id, (message) => this.send(message));
    this.children.set(id, child);
    // Not at its exit: the output can still be on its way then.
    child.once("close", () => this.children.delete(id));
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.env)) if (value !== undefined) env[name] = value;
    this.send({ op: "spawn", id, command: request.command, args: request.args, cwd: request.cwd, env });
    return child;
  }

  /**
   * The caller registered the child's pid: from now on it, not the helper, answers for the process.
   * Sent at once (after the lines before it): if this process dies before the next turn, the helper
   * must not kill a child that the next start's reaper can find.
   */
  adopted(child: RemoteChild): void {
    this.send({ op: "adopted", id: child.id });
    this.flushNow();
  }

  /**
   * Lines go out together once per turn of the event loop: a step's spawn, its context on stdin and
   * the end of its stdin then cost the helper one wake-up and one read instead of three (bench P5).
   */
  private send(message: ToSpawner): void {
    if (this.gone) return;
    this.outgoing += `${JSON.stringify(message)}\n`;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushNow();
    });
  }

  private flushNow(): void {
    const lines = this.outgoing;
    this.outgoing = "";
    if (!this.gone && lines.length > 0) this.process.stdin?.write(lines);
  }

  /** Whether the helper ever answered: one that died before that cannot start, and is not started again. */
  get answered(): boolean {
    return this.heard;
  }

  private route(message: FromSpawner): void {
    this.heard = true;
    const child = this.children.get(message.id);
    if (!child) return;
    switch (message.op) {
      case "spawned":
        child.spawned(message.pid);
        break;
      case "failed":
        this.children.delete(message.id);
        child.failed(Object.assign(new Error(message.message), { code: message.code }));
        break;
      case "out":
        child.output(message.stream, message.text);
        break;
      case "eof":
        child.eof(message.stream);
        break;
      case "exit":
        child.exit(message.code, message.signal);
        break;
    }
  }

  /** Ends the helper (steps already started keep running) and waits for it to exit. */
  async close(): Promise<void> {
    // Lines still waiting for their turn go first: an `adopted` lost here would get its child killed.
    const lines = this.outgoing;
    this.outgoing = "";
    this.process.stdin?.end(lines.length > 0 ? lines : undefined);
    await this.exited;
  }
}
