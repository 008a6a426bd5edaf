// The flows of a project as `syncManifests` takes them: each step with its trigger and payload schema (read here, on Node).
import { relative } from "node:path";
import { FlowConfigError } from "../core/errors.js";
import { discoverFlows } from "../engine/discover.js";
import { type SchemaBundle, schemaBundle } from "./schema-bundle.js";

export interface ConvexStepManifest {
  name: string;
  runner: string;
  triggerType: string;
  /** The trigger's JSON Schema document as JSON text: the component cannot read the project's files. */
  schema?: string;
  /** With `schema`: the URL its relative `$ref`s resolve against, and the sibling files they reach. */
  schemaUrl?: string;
  schemaFiles?: SchemaBundle["schemaFiles"];
  retries: number;
}

export interface ConvexFlowManifest {
  name: string;
  version: number | string;
  manifestHash: string;
  steps: ConvexStepManifest[];
}

/**
 * Every flow discovered in `cwd` (`.codex/flows/*` before `flows/*`) for `syncManifests`. A flow
 * with problems is an error here, not a silent omission: the control plane would never match it.
 */
export function convexManifests(cwd: string): ConvexFlowManifest[] {
  const discovery = discoverFlows(cwd);
  if (discovery.errors.length > 0) {
    const lines = discovery.errors.map((problem) => `${relative(cwd, problem.path)}: ${problem.message}`);
    throw new FlowConfigError(`cannot sync flows to Convex: ${lines.join("; ")}`);
  }
  return discovery.flows.map((flow) => ({
    name: flow.name,
    version: flow.version,
    manifestHash: flow.manifestHash,
    steps: flow.steps.map((step) => ({
      name: step.name,
      runner: step.runner,
      triggerType: step.trigger.type,
      retries: step.retries,
      ...(step.trigger.schema ? schemaBundle(step.trigger.schema, `${flow.name}/${step.name}`) : {}),
    })),
  }));
}
