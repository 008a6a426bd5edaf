// `codex-flows check`: every manifest, payload schema, script path and runner, with exit 2 on any problem.

import { describeError } from "../core/errors.js";
import type { DiscoveryProblem } from "../core/types.js";
import { discoverFlows } from "../engine/discover.js";
import { EXIT_OK, EXIT_USAGE } from "../engine/exit-code.js";
import { loadRunner } from "../engine/runner-registry.js";
import { scheduleFacts } from "../engine/schedules.js";
import { out } from "./colors.js";
import { schemaProblems, whereFlowsAre } from "./flow-problems.js";
import { formatProblem } from "./format.js";
import { scheduleLines, scheduleNotes } from "./schedule-lines.js";

export interface CheckOptions {
  cwd: string;
  json?: boolean;
}

export async function checkCommand(options: CheckOptions): Promise<number> {
  const discovery = discoverFlows(options.cwd);
  const errors: DiscoveryProblem[] = [...discovery.errors];
  const notes: string[] = [];
  const described = new Set<string>();
  let steps = 0;

  for (const flow of discovery.flows) {
    for (const [index, step] of flow.steps.entries()) {
      steps += 1;
      try {
        const runner = await loadRunner(step.runner, flow.root);
        const refusal = runner.unavailableReason?.(process.env);
        if (refusal) notes.push(`${flow.name}/${step.name}: gated: ${refusal}`);
        // A runner whose binary is missing here would fail every step `fire` gives it.
        const missing = runner.missingReason?.(process.env, flow.root);
        if (missing) errors.push({ path: flow.manifestPath, field: `steps[${index}].runner`, message: missing });
        // How a runner launches depends on the environment, not the step: one note per runner.
        const description = described.has(runner.name) ? undefined : runner.describe?.(process.env);
        if (description) notes.push(`${runner.name}: ${description.summary}`);
        described.add(runner.name);
      } catch (error) {
        errors.push({ path: flow.manifestPath, field: `steps[${index}].runner`, message: describeError(error) });
      }
    }
    errors.push(...schemaProblems(flow));
  }

  notes.push(...scheduleNotes(discovery.flows));
  // A check that found nothing to check is how a wrong --cwd or a misplaced flows/ folder would pass CI
  // unnoticed, so it is exit 2 like any other problem (an empty project has nothing to gate anyway).
  const empty = discovery.flows.length === 0 && errors.length === 0;
  const nothing = `no flows found in ${whereFlowsAre(options.cwd)}`;
  const ok = errors.length === 0 && !empty;
  if (options.json) {
    const found = empty ? { nothingFound: nothing } : {};
    const schedules = discovery.flows.flatMap((flow) => scheduleFacts(flow));
    console.log(
      JSON.stringify({ ok, flows: discovery.flows.length, steps, schedules, ...found, errors, notes }, null, 2),
    );
  } else {
    for (const flow of discovery.flows) for (const line of scheduleLines(flow, `${flow.name}: `)) console.log(line);
    for (const note of notes) console.log(`note: ${note}`);
    for (const problem of errors) console.log(out().red(`error: ${formatProblem(options.cwd, problem)}`));
    const summary = `${discovery.flows.length} flow(s), ${steps} step(s)`;
    if (empty) console.log(out().red(`error: ${nothing} (nothing to check; \`codex-flows init\` scaffolds one)`));
    else console.log(ok ? out().green(`ok: ${summary} checked`) : `${errors.length} problem(s) in ${summary}`);
  }
  return ok ? EXIT_OK : EXIT_USAGE;
}
