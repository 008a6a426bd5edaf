// `codex-flows run <flow> <step> --event FILE|-`: run one step, for CI jobs; the payload is still validated.
import { basename, dirname } from "node:path";
import { EventError, UsageError } from "../core/errors.js";
import { discoverFlows, findFlow } from "../engine/discover.js";
import { readEvent } from "../engine/event.js";
import { exitCodeFor } from "../engine/exit-code.js";
import { matchStep } from "../engine/match.js";
import { runStep } from "../engine/run-step.js";
import { err } from "./colors.js";
import { runLine } from "./fire-lines.js";
import { formatProblem } from "./format.js";
import { cancelOnSignals, unlessInterrupted } from "./interrupt.js";
import { prefixedSink } from "./terminal-output.js";

export interface RunCommandOptions {
  cwd: string;
  flow: string;
  step: string;
  event: string;
  json?: boolean;
}

export async function runCommand(options: RunCommandOptions): Promise<number> {
  const event = await readEvent(options.event);
  const discovery = discoverFlows(options.cwd);
  const flow = findFlow(discovery, options.flow);
  if (!flow) {
    // A broken flow has no name we can trust; its folder name is the best guess at which one was meant.
    const broken = discovery.errors.filter((problem) => basename(dirname(problem.path)) === options.flow);
    const known = discovery.flows.map((candidate) => candidate.name).join(", ") || "none";
    throw new UsageError(
      broken.length > 0
        ? `flow "${options.flow}" has errors: ${broken.map((problem) => formatProblem(options.cwd, problem)).join("; ")}`
        : `no flow named "${options.flow}"`,
      { hint: `flows found: ${known}; run \`codex-flows list\` to see them` },
    );
  }
  const step = flow.steps.find((candidate) => candidate.name === options.step);
  if (!step) {
    throw new UsageError(`flow "${flow.name}" has no step "${options.step}"`, {
      hint: `its steps: ${flow.steps.map((candidate) => candidate.name).join(", ")}`,
    });
  }
  const verdict = matchStep(event, step);
  if (!verdict.matched) {
    throw (
      verdict.error ??
      new EventError(`event does not fit the step: ${verdict.reason}`, { where: `${flow.name}/${step.name}` })
    );
  }

  const terminal = prefixedSink(err().dim(`[${flow.name}/${step.name}]`));
  const interrupted = cancelOnSignals();
  const run = await runStep(flow, step, event, { output: terminal.sink, signal: interrupted });
  terminal.flush();
  if (options.json) {
    const { flow: flowName, step: stepName, status, result, durationMs } = run;
    console.log(JSON.stringify({ flow: flowName, step: stepName, status, result, durationMs }, null, 2));
  } else {
    console.log(runLine(run));
  }
  return unlessInterrupted(exitCodeFor([run.status]), interrupted);
}
