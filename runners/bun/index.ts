// The built-in `bun` runner: runs the step script with Bun, run context as JSON on stdin, output streamed.
import { describeError, RunnerError } from "../../src/core/errors.js";
import { killGroup } from "../../src/process/process-tree.js";
import { spawnStep } from "../../src/process/spawn-step.js";
import { TailBuffer } from "../../src/process/tail-buffer.js";
import { defineRunner, type RunnerOutput } from "../../src/runner/runner.js";
import { findBun } from "./find-bun.js";

/** Stdout kept for finding the FLOW_RESULT line; the result is the last line, so the tail is what matters. */
const STDOUT_KEEP = 8 * 1024 * 1024;
const STDERR_KEEP = 256 * 1024;
/** After the step's processes are gone or killed, how long output may still drain before the pipes are closed. */
const PIPE_WAIT_MS = 1_000;
/** How long the pipes may stay open after the step's group is gone before escaped holders are hunted. */
const LINGER_MS = 200;

export const bunRunner = defineRunner({
  name: "bun",
  missingReason(env, flowRoot) {
    try {
      findBun(env, flowRoot);
      return undefined;
    } catch (error) {
      return describeError(error);
    }
  },
  run(invocation, io) {
    const bun = findBun(invocation.env, invocation.context.flow.root);
    return new Promise<RunnerOutput>((resolve, reject) => {
      const child = spawnStep(bun, [invocation.script], { cwd: invocation.cwd, env: invocation.env });
      const stdout = new TailBuffer(STDOUT_KEEP);
      const stderr = new TailBuffer(STDERR_KEEP);
      child.stdout?.setEncoding("utf8").on("data", (text: string) => {
        stdout.push(text);
        io.output("stdout", text);
      });
      child.stderr?.setEncoding("utf8").on("data", (text: string) => {
        stderr.push(text);
        io.output("stderr", text);
      });
      // A script that never reads stdin closes the pipe early; that is not an error.
      child.stdin?.on("error", () => {});
      child.stdin?.end(JSON.stringify(invocation.context));

      // Last resort for a process that survived every kill and still holds a pipe: stop waiting for it.
      const closePipes = () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      };
      // A timeout or cancel ends the step and everything it started, even processes that left its
      // group with setsid (found by a /proc scan).
      // Kills still under way: the step is over only once they are done, so a cancel or timeout that
      // is answered means the whole tree is dead (a SIGTERM-ignoring grandchild lives up to 2 s more).
      const kills = new Set<Promise<void>>();
      const track = (kill: Promise<void>) => {
        kills.add(kill);
        void kill.finally(() => kills.delete(kill));
        return kill;
      };
      const endAll = () => void track(killGroup(child)).then(() => setTimeout(closePipes, PIPE_WAIT_MS).unref());
      if (io.signal.aborted) endAll();
      else io.signal.addEventListener("abort", endAll, { once: true });
      // The step is also over when its script is: what it left in its group (a background `cmd &`, a
      // git helper) is ended. Only if the output pipes then stay open (held by an escaped process) is
      // the costlier scan done, so a normal exit stays cheap.
      // The pipes may close before that first kill is done (at once, for a helper-started step whose
      // output has all arrived): then there is nothing to linger for, and no scan of every process.
      let closed = false;
      child.once("close", () => {
        closed = true;
      });
      child.once("exit", () => {
        void track(killGroup(child, { escaped: false })).then(() => {
          if (closed) return;
          const linger = setTimeout(endAll, LINGER_MS).unref();
          child.once("close", () => clearTimeout(linger));
        });
      });

      child.on("error", (error: NodeJS.ErrnoException) => {
        io.signal.removeEventListener("abort", endAll);
        reject(
          new RunnerError(`could not start Bun (${error.code ?? error.message})`, {
            where: bun,
            hint: "check that the bun binary runs, or point CODEX_FLOWS_BUN at one that does",
            cause: error,
          }),
        );
      });
      child.on("close", (exitCode, exitSignal) => {
        io.signal.removeEventListener("abort", endAll);
        void Promise.all(kills).then(() =>
          resolve({ stdout: stdout.toString(), stderr: stderr.toString(), exitCode, exitSignal }),
        );
      });
    });
  },
});

export default bunRunner;
