// What list and check say about a step's runner: whether it is gated here and how it would launch the step.

import type { FlowDefinition, StepDefinition } from "../core/types.js";
import { loadRunner } from "../engine/runner-registry.js";

export interface RunnerFacts {
  /** True when the runner refuses steps in this environment (e.g. code-mode without CODEX_FLOWS_MODE). */
  gated: boolean;
  gatedReason?: string;
  /** Why the runner could not start the step here (e.g. Bun not found): `fire` would fail it. */
  missing?: string;
  /** One line on how the runner would launch the step (e.g. the app-server command). */
  summary?: string;
  details?: Record<string, unknown>;
}

/** The runner's own account of the step, or undefined when the runner cannot be loaded (check reports that). */
export async function runnerFacts(
  flow: FlowDefinition,
  step: StepDefinition,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunnerFacts | undefined> {
  let runner: Awaited<ReturnType<typeof loadRunner>>;
  try {
    runner = await loadRunner(step.runner, flow.root);
  } catch {
    return undefined;
  }
  const reason = runner.unavailableReason?.(env);
  const description = runner.describe?.(env);
  const missing = runner.missingReason?.(env, flow.root);
  return {
    gated: reason !== undefined,
    ...(reason === undefined ? {} : { gatedReason: reason }),
    ...(missing === undefined ? {} : { missing }),
    ...(description ? { summary: description.summary, details: description.details } : {}),
  };
}

/** Facts for every step of every flow, keyed `flow/step`. */
export async function allRunnerFacts(flows: FlowDefinition[]): Promise<Map<string, RunnerFacts | undefined>> {
  const entries = await Promise.all(
    flows.flatMap((flow) =>
      flow.steps.map(async (step) => [`${flow.name}/${step.name}`, await runnerFacts(flow, step)] as const),
    ),
  );
  return new Map(entries);
}
