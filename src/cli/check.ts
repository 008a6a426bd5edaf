// `codex-flows check`: every manifest, payload schema, script path and runner, with exit 2 on any problem.

import { describeError } from "../core/errors.js";
import type { DiscoveryProblem } from "../core/types.js";
import { discoverFlows } from "../engine/discover.js";
import { EXIT_OK, EXIT_USAGE } from "../engine/exit-code.js";
import { loadRunner } from "../engine/runner-registry.js";
import { payloadValidator } from "../schema/payload-schema.js";
import { formatProblem } from "./format.js";
import { scheduleFacts, scheduleLines, scheduleNotes } from "./schedule-lines.js";

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
        // How a runner launches depends on the environment, not the step: one note per runner.
        const description = described.has(runner.name) ? undefined : runner.describe?.(process.env);
        if (description) notes.push(`${runner.name}: ${description.summary}`);
        described.add(runner.name);
      } catch (error) {
        errors.push({ path: flow.manifestPath, field: `steps[${index}].runner`, message: describeError(error) });
      }
      if (step.trigger.schema === undefined) continue;
      try {
        payloadValidator(step.trigger.schema);
      } catch (error) {
        errors.push({
          path: flow.manifestPath,
          field: `steps[${index}].trigger.schema`,
          message: describeError(error),
        });
      }
    }
  }

  notes.push(...scheduleNotes(discovery.flows));
  const ok = errors.length === 0;
  if (options.json) {
    const schedules = discovery.flows.flatMap((flow) => scheduleFacts(flow));
    console.log(JSON.stringify({ ok, flows: discovery.flows.length, steps, schedules, errors, notes }, null, 2));
  } else {
    for (const flow of discovery.flows) for (const line of scheduleLines(flow, `${flow.name}: `)) console.log(line);
    for (const note of notes) console.log(`note: ${note}`);
    for (const problem of errors) console.log(`error: ${formatProblem(options.cwd, problem)}`);
    const summary = `${discovery.flows.length} flow(s), ${steps} step(s)`;
    console.log(ok ? `ok: ${summary} checked` : `${errors.length} problem(s) in ${summary}`);
  }
  return ok ? EXIT_OK : EXIT_USAGE;
}
