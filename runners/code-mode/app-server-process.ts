// Starting and stopping the Codex app-server process for one step, and saying in plain words why it ended.
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { Readable, Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { FlowError, RunnerError } from "../../src/core/errors.js";
import { killGroup, spawnGroup } from "../../src/process/process-tree.js";
import { TailBuffer } from "../../src/process/tail-buffer.js";
import { stderrTail } from "../../src/runner/result.js";
import type { OutputSink, StepInvocation } from "../../src/runner/runner.js";
import { findBun } from "../bun/find-bun.js";
import {
  type AppServerCommand,
  CHOOSING_HINT,
  describeChoice,
  formatCommand,
  resolveAppServerCommand,
} from "./app-server-command.js";

const STDERR_KEEP = 64 * 1024;
/** After its stdin closes, a healthy app-server exits within milliseconds; past this it is killed. */
const EXIT_AFTER_STDIN_CLOSE_MS = 1_000;

export interface AppServerProcess {
  child: ChildProcess;
  /** The JSON-RPC channel: requests go to stdin, answers come from stdout. */
  stdin: Writable;
  stdout: Readable;
  /** The command from the resolution table (what `list` shows). */
  resolved: AppServerCommand;
  /** The last lines the app-server wrote to stderr. */
  stderr(): string;
  /**
   * Rejects with a plain-words RunnerError when the process cannot start or ends; `during()` names what
   * was going on then. It never resolves: an app-server has no reason to exit while a step uses it.
   */
  ended: Promise<never>;
  /** Closes stdin, gives the process a moment (none when `now`), then kills its whole process group. */
  stop(now?: boolean): Promise<void>;
}

/** `bunx <pkg>` runs as `bun x <pkg>`, with Bun found the way the bun runner finds it. */
function launchable(resolved: AppServerCommand, invocation: StepInvocation): { command: string; args: string[] } {
  if (resolved.command !== "bunx") return resolved;
  try {
    return { command: findBun(invocation.env, invocation.context.flow.root), args: ["x", ...resolved.args] };
  } catch (error) {
    const why = error instanceof FlowError ? error.message : String(error);
    throw new RunnerError(`the Codex app-server runs with bunx, but ${why}`, {
      hint: `install Bun, or ${CHOOSING_HINT}`,
      cause: error,
    });
  }
}

function startFailure(error: NodeJS.ErrnoException, resolved: AppServerCommand, env: NodeJS.ProcessEnv): RunnerError {
  const chosen = `chosen because ${describeChoice(resolved, env)}`;
  const what =
    error.code === "ENOENT"
      ? `the Codex app-server command "${resolved.command}" was not found (${chosen})`
      : error.code === "EACCES"
        ? `the Codex app-server command "${resolved.command}" is not executable (${chosen})`
        : `the Codex app-server command "${resolved.command}" could not start: ${error.message} (${chosen})`;
  return new RunnerError(what, { hint: CHOOSING_HINT, cause: error });
}

/** Starts the app-server in the step's cwd and environment, as the leader of its own process group. */
export function startAppServer(invocation: StepInvocation, output: OutputSink, during: () => string): AppServerProcess {
  const resolved = resolveAppServerCommand(invocation.env);
  const launch = launchable(resolved, invocation);
  const child = spawnGroup(launch.command, launch.args, {
    cwd: invocation.cwd,
    env: invocation.env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const { stdin, stdout } = child;
  if (!stdin || !stdout) throw new RunnerError("the Codex app-server was started without stdio pipes");
  const stderr = new TailBuffer(STDERR_KEEP);
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr.push(text);
    output("stderr", text);
  });

  const ended = new Promise<never>((_, reject) => {
    let failed = false;
    child.once("error", (error: NodeJS.ErrnoException) => {
      failed = true;
      reject(startFailure(error, resolved, invocation.env));
    });
    // `close` (not `exit`) so the whole of stderr is in hand for the message.
    child.once("close", (code, signal) => {
      if (failed) return;
      const how = code === null ? `was killed by ${signal ?? "a signal"}` : `exited with code ${code}`;
      const tail = stderrTail(stderr.toString());
      const said = tail ? `; the end of its stderr:\n${tail}` : " and wrote nothing to stderr";
      reject(new RunnerError(`the Codex app-server (${formatCommand(resolved)}) ${how} during ${during()}${said}`));
    });
  });
  // Only the session's race reads this; an app-server that ends after the step is done is no error.
  ended.catch(() => {});

  const stop = async (now = false) => {
    child.stdin?.end();
    if (!now && child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      // An unref'd timer, so a quick exit does not leave the CLI waiting for the timer.
      await Promise.race([once(child, "exit"), sleep(EXIT_AFTER_STDIN_CLOSE_MS, undefined, { ref: false })]);
    }
    // Even when the leader is gone, helpers it started may still hold the group.
    await killGroup(child);
  };

  return { child, stdin, stdout, resolved, stderr: () => stderr.toString(), ended, stop };
}
