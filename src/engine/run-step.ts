// Running one matched step: build its context, load its runner, enforce the timeout, read its FLOW_RESULT.
import { describeError, RunnerError } from "../core/errors.js";
import type { FlowDefinition, FlowEvent, FlowResult, RunContext, StepDefinition, StepRun } from "../core/types.js";
import { KILL_GRACE_MS } from "../process/process-tree.js";
import { resultFromOutput } from "../runner/result.js";
import type { Environment, OutputSink, RunnerOutput } from "../runner/runner.js";
import { loadRunner } from "./runner-registry.js";

export interface RunStepOptions {
  /** Cancels the step (its process tree is killed). */
  signal?: AbortSignal;
  /** Receives the step's output as it comes. */
  output?: OutputSink;
  /** Environment for the step (default: this process's). */
  env?: Environment;
}

/** The run context a step receives, exactly the seed's `{ flow: { name, version, root, step, config, event } }`. */
export function buildContext(flow: FlowDefinition, step: StepDefinition, event: FlowEvent): RunContext {
  return {
    flow: { name: flow.name, version: flow.version, root: flow.root, step: step.name, config: flow.config, event },
  };
}

const noOutput: OutputSink = () => {};
/** The abort reason that marks a timeout, told apart from a cancel by identity. */
const TIMED_OUT = new Error("step timed out");

/** How long a runner may take to stop after its signal aborts; built-ins need at most KILL_GRACE_MS. */
const STOP_GRACE_MS = KILL_GRACE_MS + 3_000;

/**
 * The runner's output, unless the runner ignores an abort: then, STOP_GRACE_MS after the abort, the
 * step is given up on, so a timeout holds even for a plugin that never resolves.
 */
function untilStopped(running: Promise<RunnerOutput>, signal: AbortSignal, runner: string): Promise<RunnerOutput> {
  let onAbort = () => {};
  const givenUp = new Promise<never>((_, reject) => {
    let timer: NodeJS.Timeout | undefined;
    onAbort = () => {
      timer = setTimeout(
        () => reject(new RunnerError(`runner "${runner}" did not stop within ${STOP_GRACE_MS} ms of being told to`)),
        STOP_GRACE_MS,
      );
    };
    running.finally(() => clearTimeout(timer)).catch(() => {});
  });
  givenUp.catch(() => {}); // only ever read through the race below
  if (signal.aborted) onAbort();
  else signal.addEventListener("abort", onAbort, { once: true });
  return Promise.race([running, givenUp]).finally(() => signal.removeEventListener("abort", onAbort));
}

/** Names the setting to change and where it lives, since the limit is often the default nobody chose. */
function timeoutMessage(flow: FlowDefinition, step: StepDefinition): string {
  const index = flow.steps.indexOf(step);
  const field = index >= 0 ? `steps[${index}].timeout_ms` : "timeout_ms";
  return `timed out after ${step.timeoutMs} ms (raise ${field} in ${flow.manifestPath} if the step needs longer)`;
}

/** Runs one step to completion. Never throws: every failure becomes a `failed` result with a message. */
export async function runStep(
  flow: FlowDefinition,
  step: StepDefinition,
  event: FlowEvent,
  options: RunStepOptions = {},
): Promise<StepRun> {
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks (10 internal
  // modules) on first use, before the step starts (bench P2).
  const started = process.hrtime.bigint();
  const env = options.env ?? process.env;
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(TIMED_OUT), step.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout.signal]) : timeout.signal;

  let result: FlowResult;
  try {
    const runner = await loadRunner(step.runner, flow.root);
    const refusal = runner.unavailableReason?.(env);
    if (refusal) {
      result = { status: "failed", message: refusal };
    } else {
      const running = runner.run(
        {
          context: buildContext(flow, step, event),
          script: step.script,
          cwd: step.cwd,
          timeoutMs: step.timeoutMs,
          env,
        },
        { signal, output: options.output ?? noOutput },
      );
      result = resultFromOutput(await untilStopped(running, signal, runner.name));
    }
  } catch (error) {
    result = { status: "failed", message: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
  // Whichever came first wins: killing a tree takes a grace period, during which the other may fire too.
  if (signal.aborted) {
    const message = signal.reason === TIMED_OUT ? timeoutMessage(flow, step) : "canceled";
    result = { status: "failed", message };
  }
  return {
    eventId: event.id,
    ...(typeof event.parentEventId === "string" ? { parentEventId: event.parentEventId } : {}),
    flow: flow.name,
    step: step.name,
    status: result.status,
    result,
    durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
  };
}
