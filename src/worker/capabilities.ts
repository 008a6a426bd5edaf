// What a worker can run: the runners that load and are open here, and the flows its project has.
import type { Discovery } from "../engine/discover.js";
import type { FlowCatalog } from "../engine/flow-catalog.js";
import { BUILTIN_RUNNERS, loadRunner } from "../engine/runner-registry.js";
import type { Capabilities } from "../wire/protocol.js";

/** Runner names the steps of `discovery` use (plus the built-ins) that load here and are not gated off. */
export async function availableRunners(discovery: Discovery, env: NodeJS.ProcessEnv): Promise<string[]> {
  const roots = new Map<string, string>();
  for (const name of BUILTIN_RUNNERS) roots.set(name, process.cwd());
  for (const flow of discovery.flows)
    for (const step of flow.steps) if (!roots.has(step.runner)) roots.set(step.runner, flow.root);
  const open: string[] = [];
  for (const [name, root] of roots) {
    try {
      const runner = await loadRunner(name, root);
      if (runner.unavailableReason?.(env) === undefined) open.push(name);
    } catch {
      // A runner that cannot load is not offered: its steps wait for a worker that has it.
    }
  }
  return open.sort();
}

/**
 * Capabilities from the project's flows, recomputed only when discovery changed. `anyFlow` is for the
 * service's own pool: it takes runs of flows it no longer has, to fail them with a clear error.
 */
export function capabilitiesOf(
  catalog: FlowCatalog,
  options: { anyFlow?: boolean; env?: NodeJS.ProcessEnv } = {},
): () => Promise<Capabilities> {
  let seen: Discovery | undefined;
  let cached: Promise<Capabilities> | undefined;
  return () => {
    const discovery = catalog.current(1_000);
    if (discovery !== seen || !cached) {
      seen = discovery;
      cached = availableRunners(discovery, options.env ?? process.env).then((runners) => ({
        runners,
        flows: options.anyFlow ? "*" : discovery.flows.map((flow) => flow.name).sort(),
      }));
    }
    return cached;
  };
}
