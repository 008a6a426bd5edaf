// `codex-flows list`: the discovered flows, their steps, and the problems found.
import { discoverFlows } from "../engine/discover.js";
import { EXIT_OK } from "../engine/exit-code.js";
import { scheduleFacts } from "../engine/schedules.js";
import { schemaProblems, whereFlowsAre } from "./flow-problems.js";
import { formatProblem, shortPath } from "./format.js";
import { allRunnerFacts, type RunnerFacts } from "./runner-facts.js";
import { scheduleLines } from "./schedule-lines.js";

export interface ListOptions {
  cwd: string;
  json?: boolean;
}

export async function listCommand(options: ListOptions): Promise<number> {
  const discovery = discoverFlows(options.cwd);
  const facts = await allRunnerFacts(discovery.flows);
  // A flow whose schema does not compile is listed (its steps are real) but marked, with the problem below.
  const schemaErrors = new Map(discovery.flows.map((flow) => [flow, schemaProblems(flow)]));
  const broken = (flow: (typeof discovery.flows)[number]) => (schemaErrors.get(flow)?.length ?? 0) > 0;
  const errors = [...discovery.errors, ...[...schemaErrors.values()].flat()];
  if (options.json) {
    const flows = discovery.flows.map((flow) => ({
      name: flow.name,
      version: flow.version,
      description: flow.description,
      root: flow.root,
      source: flow.source,
      broken: broken(flow),
      steps: flow.steps.map((step) => ({
        ...stepFacts(facts.get(`${flow.name}/${step.name}`)),
        name: step.name,
        runner: step.runner,
        timeoutMs: step.timeoutMs,
        trigger: { type: step.trigger.type, schema: step.trigger.schema ?? null },
      })),
      schedules: scheduleFacts(flow),
    }));
    console.log(JSON.stringify({ flows, errors, shadowed: discovery.shadowed }, null, 2));
    return EXIT_OK;
  }

  const lines: string[] = [];
  // Runner facts depend on the runner and the environment, not the step: say each once, after the flows.
  const runnerNotes = new Set<string>();
  if (discovery.flows.length === 0 && errors.length === 0)
    lines.push(`No flows found in ${whereFlowsAre(options.cwd)}.`);
  else if (discovery.flows.length === 0)
    lines.push(`No healthy flows in ${whereFlowsAre(options.cwd)}: see the problems below.`);
  for (const flow of discovery.flows) {
    const description = flow.description ? `  ${flow.description}` : "";
    const mark = broken(flow) ? "  [broken: see problems]" : "";
    lines.push(`${flow.name} v${flow.version} (${flow.source})${mark}${description}`);
    for (const step of flow.steps) {
      const known = facts.get(`${flow.name}/${step.name}`);
      lines.push(`  ${step.name}  runner=${step.runner}  on ${step.trigger.type}${known?.gated ? "  [gated]" : ""}`);
      if (known?.gatedReason) runnerNotes.add(`${step.runner}: gated: ${known.gatedReason}`);
      if (known?.summary) runnerNotes.add(`${step.runner}: ${known.summary}`);
    }
    lines.push(...scheduleLines(flow));
  }
  for (const note of runnerNotes) lines.push(`note: ${note}`);
  for (const hidden of discovery.shadowed) {
    lines.push(
      `shadowed: ${shortPath(options.cwd, hidden.path)} (the .codex copy wins: ${shortPath(options.cwd, hidden.shadowedBy)})`,
    );
  }
  if (errors.length > 0) {
    lines.push("", `Problems (${errors.length}):`);
    for (const problem of errors) lines.push(`  ${formatProblem(options.cwd, problem)}`);
  }
  console.log(lines.join("\n"));
  return EXIT_OK;
}

/** The runner facts a step's JSON carries (e.g. `appServer`), then `gated`; the step's own fields win. */
function stepFacts(known: RunnerFacts | undefined): Record<string, unknown> {
  if (!known) return {};
  return {
    ...known.details,
    gated: known.gated,
    ...(known.gatedReason ? { gatedReason: known.gatedReason } : {}),
  };
}
