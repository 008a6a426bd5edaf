// `codex-flows backend exec-step`: runs one step inside a systemd unit and leaves its StepRun in a result file.
import { renameSync, writeFileSync } from "node:fs";
import { describeError } from "../core/errors.js";
import type { FlowEvent, StepRun } from "../core/types.js";
import { discoverFlows, findFlow } from "../engine/discover.js";
import { readEvent } from "../engine/event.js";
import { runStep } from "../engine/run-step.js";

export interface ExecStepOptions {
  cwd: string;
  flow: string;
  step: string;
  eventFile: string;
  resultFile: string;
}

function failedRun(options: ExecStepOptions, event: FlowEvent | undefined, message: string): StepRun {
  return {
    eventId: event?.id ?? "",
    flow: options.flow,
    step: options.step,
    status: "failed",
    result: { status: "failed", message },
    durationMs: 0,
  };
}

/** Always writes a result file (unless killed); the step's output goes straight to this process's stdout/stderr. */
export async function execStep(options: ExecStepOptions): Promise<number> {
  const controller = new AbortController();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => controller.abort(new Error(`received ${signal}`)));
  }
  let event: FlowEvent | undefined;
  let run: StepRun;
  try {
    event = await readEvent(options.eventFile);
    const flow = findFlow(discoverFlows(options.cwd), options.flow);
    const step = flow?.steps.find((candidate) => candidate.name === options.step);
    if (!flow || !step) {
      run = failedRun(
        options,
        event,
        `flow "${options.flow}" step "${options.step}" no longer exists in ${options.cwd}`,
      );
    } else {
      run = await runStep(flow, step, event, {
        signal: controller.signal,
        output: (stream, text) => (stream === "stderr" ? process.stderr : process.stdout).write(text),
      });
    }
  } catch (error) {
    run = failedRun(options, event, describeError(error));
  }
  const temp = `${options.resultFile}.tmp`;
  writeFileSync(temp, JSON.stringify(run));
  renameSync(temp, options.resultFile);
  return 0;
}
