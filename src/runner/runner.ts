// The runner plugin interface: the engine hands a runner a step invocation and reads back its output.
import type { RunContext } from "../core/types.js";

export type OutputStream = "stdout" | "stderr" | "agent";

/**
 * Environment variables, as `process.env` holds them. Spelled out rather than Node's own `ProcessEnv` type so the
 * published declarations compile in a project without `@types/node` (TypeScript 5.9's `tsc --init`
 * writes `"types": []`).
 */
export type Environment = Record<string, string | undefined>;

/** Receives a step's output as it is produced, before the step ends. */
export type OutputSink = (stream: OutputStream, text: string) => void;

/** Everything a runner needs to execute one step. */
export interface StepInvocation {
  /** What the step sees: for `bun`, the JSON on stdin. */
  context: RunContext;
  /** Absolute path of the step script. */
  script: string;
  /** Absolute working directory of the step. */
  cwd: string;
  timeoutMs: number;
  /** Environment for the step's processes (inherited from codex-flows by default). */
  env: Environment;
}

export interface RunnerIO {
  /** Aborted on timeout or cancel; the runner must stop the step and everything it started. */
  signal: AbortSignal;
  output: OutputSink;
}

/** What a runner reports. The engine finds the FLOW_RESULT line in `stdout`. */
export interface RunnerOutput {
  /** Text searched for the `FLOW_RESULT ` line (process stdout, or a Codex agent's messages). */
  stdout: string;
  stderr: string;
  /** Process exit code; null when killed by a signal or when there is no process. */
  exitCode: number | null;
  /** The signal that ended the process, if any. */
  exitSignal?: string | null;
}

export interface Runner {
  /** The name steps use in `runner = "..."`. */
  name: string;
  run(invocation: StepInvocation, io: RunnerIO): Promise<RunnerOutput>;
  /** Optional: refuse a step before it runs (e.g. a gated runner); the message says how to enable it. */
  unavailableReason?(env: Environment): string | undefined;
  /**
   * Optional: why this runner could not start a step of the flow in `flowRoot` here (e.g. its binary is
   * not found), so `check` and `fire --dry-run` report what `fire` would fail on. The message says how to fix it.
   */
  missingReason?(env: Environment, flowRoot: string): string | undefined;
  /** Optional: how the runner would launch a step here (e.g. the command it starts), shown by list and check. */
  describe?(env: Environment): RunnerDescription;
}

export interface RunnerDescription {
  /** One line for people. */
  summary: string;
  /** The same facts for `--json`. */
  details: Record<string, unknown>;
}

/** Identity helper that gives runner authors type checking: `export default defineRunner({ name, run })`. */
export function defineRunner(runner: Runner): Runner {
  return runner;
}
