// Remote-worker test helpers: start `codex-flows worker` as a real process against a backend; stopped when the test ends.
import { type ChildProcess, spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { onTestFinished } from "vitest";
import { cleanEnv, eventually } from "./backend-helpers.js";
import { CLI } from "./helpers.js";

export interface Worker {
  child: ChildProcess;
  id: string;
  stderr: () => string;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface WorkerOptions {
  url: string;
  project: string;
  id: string;
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** Starts a worker and waits for its first poll line; at the end of the test it is stopped with its steps. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const child = spawn(
    process.execPath,
    [CLI, "worker", "--url", options.url, "--cwd", options.project, "--worker-id", options.id, ...(options.args ?? [])],
    { env: cleanEnv(options.env), stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  onTestFinished(async () => {
    if (!running()) return;
    child.kill("SIGCONT");
    // Twice: the second signal kills the worker's step trees at once, so nothing outlives the test.
    child.kill("SIGTERM");
    await sleep(50);
    if (running()) child.kill("SIGTERM");
    const gone = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!gone) child.kill("SIGKILL");
  });
  await eventually(
    () => {
      if (stderr.includes("polling ")) return true;
      if (!running()) throw new Error(`worker exited early:\n${stderr}`);
      return false;
    },
    20_000,
    `worker ${options.id} to start`,
  );
  return {
    child,
    id: options.id,
    stderr: () => stderr,
    exited,
    stop: async (signal = "SIGTERM") => {
      if (running()) child.kill(signal);
      return exited;
    },
  };
}
