// The `systemd-run` executor: each step runs in a transient `systemd-run --user --wait --collect` unit.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { FlowResult, StepRun } from "../../core/types.js";
import { killGroup, spawnGroup } from "../../process/process-tree.js";
import { TailBuffer } from "../../process/tail-buffer.js";
import { stderrTail } from "../../runner/result.js";
import { repairEventFile } from "../../store/event-files.js";
import { type ExecutionJob, type Executor, isServiceVariable, runVariables, stepEnvironment } from "./executor.js";

export interface SystemdRunOptions {
  /** The project folder (the unit's working directory and `exec-step --cwd`). */
  cwd: string;
  dataDir: string;
  /** The codex-flows CLI script the unit runs (`node <cli> backend exec-step ...`). */
  cliPath: string;
  /** Extra time past the step's own timeout before the unit itself is stopped. */
  marginMs?: number;
}

/** Variables that describe the service's own process or session, not the step's environment. */
const NOT_FORWARDED = new Set([
  "_",
  "PWD",
  "OLDPWD",
  "SHLVL",
  "INVOCATION_ID",
  "JOURNAL_STREAM",
  "NOTIFY_SOCKET",
  "LISTEN_PID",
  "LISTEN_FDS",
  "LISTEN_FDNAMES",
  "MANAGERPID",
  "SYSTEMD_EXEC_PID",
  "WATCHDOG_PID",
  "WATCHDOG_USEC",
]);

/** A unit name per attempt: a retry must not collide with a unit a killed service left behind. */
export function unitName(job: ExecutionJob): string {
  return `codex-flow-${job.runId}-${job.attemptNumber}`;
}

/**
 * The systemd-run command line. Inherited variables are passed by NAME only (`--setenv=NAME` takes
 * the value from systemd-run's own environment), so their values never show up in `ps` or logs.
 */
export function systemdRunArgs(job: ExecutionJob, options: SystemdRunOptions, resultFile: string): string[] {
  const inherited = Object.keys(process.env)
    .filter((name) => !isServiceVariable(name) && !NOT_FORWARDED.has(name) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    .sort();
  const run = Object.entries(runVariables(job)).map(([name, value]) => `--setenv=${name}=${value}`);
  return [
    "--user",
    "--wait",
    "--collect",
    "--pipe",
    "--quiet",
    `--unit=${unitName(job)}`,
    `--working-directory=${options.cwd}`,
    ...inherited.map((name) => `--setenv=${name}`),
    ...run,
    "--",
    process.execPath,
    options.cliPath,
    "backend",
    "exec-step",
    "--cwd",
    options.cwd,
    "--flow",
    job.flow.name,
    "--step",
    job.step.name,
    "--event",
    job.eventFile,
    "--result-file",
    resultFile,
  ];
}

function readStepRun(path: string): StepRun | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as StepRun;
  } catch {
    return undefined;
  }
}

export function systemdRunExecutor(options: SystemdRunOptions): Executor {
  const resultsDir = join(options.dataDir, "results");
  return {
    name: "systemd-run",
    run(job, io) {
      mkdirSync(resultsDir, { recursive: true });
      // The unit reads the event from its file; one deleted by hand or damaged by a power loss is
      // rewritten from the stored event.
      repairEventFile(job.eventFile, job.event);
      const unit = unitName(job);
      const resultFile = join(resultsDir, `${unit}.json`);
      rmSync(resultFile, { force: true });
      const started = performance.now();
      const stderr = new TailBuffer(64 * 1024);
      return new Promise<StepRun>((resolve) => {
        const child = spawnGroup("systemd-run", systemdRunArgs(job, options, resultFile), {
          cwd: options.cwd,
          env: stepEnvironment(job),
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout?.setEncoding("utf8").on("data", (text: string) => io.output("stdout", text));
        child.stderr?.setEncoding("utf8").on("data", (text: string) => {
          stderr.push(text);
          io.output("stderr", text);
        });
        let stopped = false;
        const stop = () => {
          if (stopped) return;
          stopped = true;
          // The unit lives in its own cgroup: stopping it kills every process the step started. The
          // systemd-run client is killed after that, in case systemctl could not reach the manager.
          execFile("systemctl", ["--user", "stop", unit], { timeout: 10_000 }, () => void killGroup(child));
        };
        const limit = setTimeout(stop, job.step.timeoutMs + (options.marginMs ?? 30_000));
        if (io.signal.aborted) stop();
        else io.signal.addEventListener("abort", stop, { once: true });

        const finish = (result: FlowResult) => {
          clearTimeout(limit);
          io.signal.removeEventListener("abort", stop);
          const reported = readStepRun(resultFile);
          rmSync(resultFile, { force: true });
          resolve(
            reported ?? {
              eventId: job.event.id,
              flow: job.flow.name,
              step: job.step.name,
              status: result.status,
              result,
              durationMs: Math.round(performance.now() - started),
            },
          );
        };
        child.on("error", (error: NodeJS.ErrnoException) =>
          finish({
            status: "failed",
            message: `could not start systemd-run (${error.code ?? error.message}); is systemd installed, or use --executor direct`,
          }),
        );
        child.on("close", (code, signal) => {
          const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
          const tail = stderrTail(stderr.toString());
          finish({
            status: "failed",
            message: `${io.signal.aborted ? "canceled: " : ""}systemd-run ${how} without a step result${tail ? `\n${tail}` : ""}`,
          });
        });
      });
    },
  };
}
