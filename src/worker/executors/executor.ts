// The executor interface: how a worker starts one claimed step (directly, or in a systemd unit).

import type { FlowDefinition, FlowEvent, StepDefinition, StepRun } from "../../core/types.js";
import type { OutputSink } from "../../runner/runner.js";

export interface ExecutionJob {
  flow: FlowDefinition;
  step: StepDefinition;
  event: FlowEvent;
  runId: string;
  attemptNumber: number;
  workerId: string;
  /** The event's JSON file under the data dir (what an out-of-process step reads). */
  eventFile: string;
}

export interface ExecutionIO {
  /** Aborted on cancel, lost lease or shutdown: the executor must kill the step's whole process tree. */
  signal: AbortSignal;
  output: OutputSink;
}

export interface Executor {
  name: string;
  /** Runs the step to its end; like runStep it reports failures in the StepRun instead of throwing. */
  run(job: ExecutionJob, io: ExecutionIO): Promise<StepRun>;
}

/** Variables that belong to the service, never to a step: the secret above all. */
export function isServiceVariable(name: string): boolean {
  return name.startsWith("CODEX_FLOW_BACKEND_");
}

/** The step's environment: the service's own minus its secrets, plus which run and attempt this is. */
export function stepEnvironment(job: ExecutionJob, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) if (!isServiceVariable(name)) env[name] = value;
  return { ...env, ...runVariables(job) };
}

/** What a step learns about its run from the environment. */
export function runVariables(job: ExecutionJob): Record<string, string> {
  return {
    CODEX_FLOW_RUN_ID: job.runId,
    CODEX_FLOW_EVENT_ID: job.event.id,
    CODEX_FLOW_ATTEMPT: String(job.attemptNumber),
    CODEX_FLOW_WORKER_ID: job.workerId,
    // Lets a restarted worker find the steps its killed predecessor left running (src/process/reap-orphans.ts).
    CODEX_FLOW_WORKER_PID: String(process.pid),
  };
}
