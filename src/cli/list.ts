// `codex-flows list`: the discovered flows, their steps, and the problems found.
import { discoverFlows } from "../discover.js";
import { EXIT_OK } from "../exit-code.js";
import { formatProblem, shortPath } from "./format.js";

export interface ListOptions {
  cwd: string;
  json?: boolean;
}

export function listCommand(options: ListOptions): number {
  const discovery = discoverFlows(options.cwd);
  if (options.json) {
    const flows = discovery.flows.map((flow) => ({
      name: flow.name,
      version: flow.version,
      description: flow.description,
      root: flow.root,
      source: flow.source,
      steps: flow.steps.map((step) => ({
        name: step.name,
        runner: step.runner,
        timeoutMs: step.timeoutMs,
        trigger: { type: step.trigger.type, schema: step.trigger.schema ?? null },
      })),
    }));
    console.log(JSON.stringify({ flows, errors: discovery.errors, shadowed: discovery.shadowed }, null, 2));
    return EXIT_OK;
  }

  const lines: string[] = [];
  if (discovery.flows.length === 0)
    lines.push(`No flows found in ${options.cwd}/.codex/flows or ${options.cwd}/flows.`);
  for (const flow of discovery.flows) {
    const description = flow.description ? `  ${flow.description}` : "";
    lines.push(`${flow.name} v${flow.version} (${flow.source})${description}`);
    for (const step of flow.steps) {
      lines.push(`  ${step.name}  runner=${step.runner}  on ${step.trigger.type}`);
    }
  }
  for (const hidden of discovery.shadowed) {
    lines.push(
      `shadowed: ${shortPath(options.cwd, hidden.path)} (the .codex copy wins: ${shortPath(options.cwd, hidden.shadowedBy)})`,
    );
  }
  if (discovery.errors.length > 0) {
    lines.push("", `Problems (${discovery.errors.length}):`);
    for (const problem of discovery.errors) lines.push(`  ${formatProblem(options.cwd, problem)}`);
  }
  console.log(lines.join("\n"));
  return EXIT_OK;
}
