// The problems discovery does not see: payload schemas that do not compile, and runners that cannot start here.

import { join } from "node:path";
import { describeError } from "../core/errors.js";
import type { DiscoveryProblem, FlowDefinition } from "../core/types.js";
import { FLOW_SOURCES } from "../engine/discover.js";
import { payloadValidator } from "../schema/payload-schema.js";

/**
 * Each step's payload schema compiled (not JSON, not an object, an invalid keyword, a `$ref` to a
 * missing file). Discovery only checks that the file exists: compiling costs, and `run` of one step
 * should not pay for every other flow's schemas. `list` and `check` pay it, so neither calls a flow
 * healthy that `fire` would refuse.
 */
export function schemaProblems(flow: FlowDefinition): DiscoveryProblem[] {
  return flow.steps.flatMap((step, index) => {
    if (step.trigger.schema === undefined) return [];
    try {
      payloadValidator(step.trigger.schema);
      return [];
    } catch (error) {
      return [{ path: flow.manifestPath, field: `steps[${index}].trigger.schema`, message: describeError(error) }];
    }
  });
}

/** Where discovery looked, for "nothing found" messages: `<cwd>/.codex/flows or <cwd>/flows`. */
export function whereFlowsAre(cwd: string): string {
  return FLOW_SOURCES.map((source) => join(cwd, source)).join(" or ");
}
