// Flow discovery: `.codex/flows/*` then `flows/*` under a project folder; the `.codex` copy of a name wins.
import { type Dirent, readdirSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import type { DiscoveryProblem, FlowDefinition, FlowSource, ShadowedFlow } from "../core/types.js";
import { type LoadOptions, loadFlow, MANIFEST_FILE } from "./manifest.js";
import { BUILTIN_RUNNERS, type RunnerLookup, runnerLookup, runnerPackage } from "./runner-registry.js";

export const FLOW_SOURCES: readonly FlowSource[] = [".codex/flows", "flows"];

export interface Discovery {
  /** Healthy flows, `.codex/flows` first, each source sorted by folder name. */
  flows: FlowDefinition[];
  /** Flows left out, with the file and field at fault. */
  errors: DiscoveryProblem[];
  shadowed: ShadowedFlow[];
  /** Problems that did not leave a flow out (a missing script, when loading with `scriptsOptional`). */
  warnings?: DiscoveryProblem[];
}

/**
 * Sub-folders of `dir` (symlinks to folders included), sorted. Folders starting with `.` or `_` are
 * not flows (`flows/_shared/` can hold code the flows import).
 */
function flowFolders(dir: string): string[] {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const folders: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".") || entry.name.startsWith("_")) continue;
    // The listing's own types: a stat per folder was 1,000 of discovering 1,000 flows' calls (bench P6).
    // Only a symlink needs one, to say where it leads.
    if (entry.isDirectory() || (entry.isSymbolicLink() && isDirectory(join(dir, entry.name)))) folders.push(entry.name);
  }
  return folders.sort().map((name) => join(dir, name));
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Problems with step runners that are neither built in nor installed as `codex-flows-runner-<name>`. */
function runnerProblems(flow: FlowDefinition, runnerExists: RunnerLookup): DiscoveryProblem[] {
  const problems: DiscoveryProblem[] = [];
  flow.steps.forEach((step, index) => {
    if (runnerExists(step.runner, flow.root)) return;
    problems.push({
      path: flow.manifestPath,
      field: `steps[${index}].runner`,
      message: `unknown runner "${step.runner}" (built in: ${BUILTIN_RUNNERS.join(", ")}; or install ${runnerPackage(step.runner)})`,
    });
  });
  return problems;
}

/** Finds every flow under `cwd`. Never throws for a bad flow: it becomes an entry in `errors`. */
export function discoverFlows(cwd: string = process.cwd(), options: LoadOptions = {}): Discovery {
  const project = resolve(cwd);
  const byName = new Map<string, FlowDefinition>();
  // Broken `.codex/flows` copies still take precedence: running the `flows/` copy they were installed
  // to replace would run the wrong code. Known by manifest name when it parsed, else by folder name.
  const brokenOverrides = new Map<string, string>();
  const discovery: Discovery = { flows: [], errors: [], shadowed: [] };
  const runnerExists = runnerLookup();

  for (const source of FLOW_SOURCES) {
    for (const root of flowFolders(join(project, source))) {
      const loaded = loadFlow(root, source, options);
      if (loaded.ok && loaded.warnings) discovery.warnings = [...(discovery.warnings ?? []), ...loaded.warnings];
      const problems = loaded.ok ? runnerProblems(loaded.flow, runnerExists) : loaded.problems;
      if (!loaded.ok || problems.length > 0) {
        discovery.errors.push(...problems);
        if (source === ".codex/flows") {
          const manifest = join(root, MANIFEST_FILE);
          brokenOverrides.set(basename(root), manifest);
          const name = loaded.ok ? loaded.flow.name : loaded.name;
          if (name) brokenOverrides.set(name, manifest);
        }
        continue;
      }
      const flow = loaded.flow;
      const brokenCopy =
        source === "flows" ? (brokenOverrides.get(flow.name) ?? brokenOverrides.get(basename(root))) : undefined;
      if (brokenCopy) {
        discovery.shadowed.push({ name: flow.name, path: flow.manifestPath, shadowedBy: brokenCopy });
        continue;
      }
      const winner = byName.get(flow.name);
      if (!winner) {
        byName.set(flow.name, flow);
        discovery.flows.push(flow);
      } else if (winner.source !== flow.source) {
        discovery.shadowed.push({ name: flow.name, path: flow.manifestPath, shadowedBy: winner.manifestPath });
      } else {
        discovery.errors.push({
          path: flow.manifestPath,
          field: "name",
          message: `flow name "${flow.name}" is already used by ${winner.manifestPath}`,
        });
      }
    }
  }
  return discovery;
}

/** Finds a flow by name, or undefined. */
export function findFlow(discovery: Discovery, name: string): FlowDefinition | undefined {
  return discovery.flows.find((flow) => flow.name === name);
}
