// `codex-flows codegen`: every discovered flow's flow.gen.ts, the project's FlowEventMap, and (in this repo) the contracts.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { describeError, FlowError } from "../src/core/errors.js";
import type { DiscoveryProblem, FlowDefinition } from "../src/core/types.js";
import { discoverFlows, FLOW_SOURCES } from "../src/engine/discover.js";
import { loadFlow } from "../src/engine/manifest.js";
import { generateContracts, hasContracts } from "./contracts.js";
import { generateEventMap } from "./event-map.js";
import { type GeneratedFile, generateFlowFile } from "./flow-file.js";
import { applyFiles, type WriteOutcome } from "./write.js";

export { CONTRACTS_FILE } from "./contracts.js";
export { EVENT_MAP_FILE } from "./event-map.js";
export { FLOW_FILE, GENERATED_HEADER, type GeneratedFile } from "./flow-file.js";

export interface CodegenOptions {
  cwd: string;
  /** Write nothing; report the files that differ from what would be generated. */
  check?: boolean;
}

export interface CodegenReport extends WriteOutcome {
  /** Flows and schemas that could not be generated, each naming its file; the others still are. */
  errors: DiscoveryProblem[];
  /** Problems that did not stop generation: a step script that does not exist yet. */
  warnings: DiscoveryProblem[];
}

function problemOf(error: unknown, fallbackPath: string): DiscoveryProblem {
  if (error instanceof FlowError) {
    const hint = error.hint ? ` (${error.hint})` : "";
    return { path: error.where ?? fallbackPath, message: `${error.message}${hint}` };
  }
  return { path: fallbackPath, message: describeError(error) };
}

/** Flows hidden by a same-named `.codex/flows` copy still have scripts to type-check, so they get a file too. */
function shadowedFlows(shadowed: { path: string }[]): FlowDefinition[] {
  return shadowed.flatMap((entry) => {
    const loaded = loadFlow(dirname(entry.path), "flows", { scriptsOptional: true });
    return loaded.ok ? [loaded.flow] : [];
  });
}

/** Generates everything for the project at `cwd`, flow by flow, so one bad schema leaves the others generated. */
export async function generateAll(
  cwd: string,
): Promise<{ files: GeneratedFile[]; errors: DiscoveryProblem[]; warnings: DiscoveryProblem[] }> {
  // Types come from manifests and schemas only; the scripts they type may not be written yet.
  const discovery = discoverFlows(cwd, { scriptsOptional: true });
  const errors: DiscoveryProblem[] = [...discovery.errors];
  const files: GeneratedFile[] = [];
  for (const flow of [...discovery.flows, ...shadowedFlows(discovery.shadowed)]) {
    try {
      files.push(await generateFlowFile(flow));
    } catch (error) {
      errors.push(problemOf(error, flow.manifestPath));
    }
  }
  // A folder without flows (say, a fresh checkout of something else) gets no flows/ folder made for it.
  if (FLOW_SOURCES.some((source) => existsSync(join(cwd, source)))) files.push(generateEventMap(cwd, discovery.flows));
  if (hasContracts(cwd)) {
    try {
      files.push(await generateContracts(cwd));
    } catch (error) {
      errors.push(problemOf(error, cwd));
    }
  }
  return { files, errors, warnings: discovery.warnings ?? [] };
}

/** Generates and writes (or, with `check`, only compares) the project's generated files. */
export async function codegen(options: CodegenOptions): Promise<CodegenReport> {
  const { files, errors, warnings } = await generateAll(options.cwd);
  return { ...applyFiles(files, options.check ?? false), errors, warnings };
}
