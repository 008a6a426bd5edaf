// Finding runners by name: built-ins load lazily; any other name comes from a `codex-flows-runner-<name>` package.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { RunnerError } from "../core/errors.js";
import { importModule } from "../core/import-module.js";
import type { Runner } from "../runner/runner.js";

const builtins: Record<string, () => Promise<Runner>> = {
  bun: async () => (await import("../../runners/bun/index.js")).bunRunner,
  "code-mode": async () => (await import("../../runners/code-mode/index.js")).codeModeRunner,
};

export const BUILTIN_RUNNERS = Object.keys(builtins);

export function runnerPackage(name: string): string {
  return `codex-flows-runner-${name}`;
}

/** The URL of the runner package's entry as seen from `fromDir` (Node's ESM resolution), or undefined. */
async function resolveRunnerPackage(name: string, fromDir: string): Promise<string | undefined> {
  // Loaded only for plugin runners: it is large, and `codex-flows run` of a built-in must start fast.
  const { resolve } = await import("import-meta-resolve");
  try {
    return resolve(runnerPackage(name), pathToFileURL(`${fromDir}/`).href);
  } catch {
    return undefined;
  }
}

export type RunnerLookup = (name: string, fromDir: string) => boolean;

/**
 * For one discovery: whether `name` is a built-in runner or a runner package installed in a
 * node_modules folder at or above `fromDir` (a cheap look for the folder; loading does the full
 * resolution). Each folder's answer is kept: 1,000 flows of one plugin runner under `flows/` look
 * once each in their own folder and once in `flows/` and every folder above it, not once per step
 * and level. Make a new one per discovery, which is one moment: a package installed during it may be missed.
 */
export function runnerLookup(): RunnerLookup {
  const known = new Map<string, boolean>();
  const lookup = (name: string, dir: string): boolean => {
    if (name in builtins) return true;
    const key = `${name}\0${dir}`;
    let found = known.get(key);
    if (found === undefined) {
      found =
        existsSync(join(dir, "node_modules", runnerPackage(name), "package.json")) ||
        (dirname(dir) !== dir && lookup(name, dirname(dir)));
      known.set(key, found);
    }
    return found;
  };
  return lookup;
}

function unknownRunner(name: string): RunnerError {
  return new RunnerError(`unknown runner "${name}"`, {
    hint: `use one of ${BUILTIN_RUNNERS.join(", ")}, or install the package ${runnerPackage(name)}`,
  });
}

function isRunner(value: unknown): value is Runner {
  const candidate = value as Partial<Runner> | null;
  return typeof candidate?.name === "string" && typeof candidate.run === "function";
}

const loaded = new Map<string, Promise<Runner>>();

async function importPlugin(name: string, url: string): Promise<Runner> {
  let module: Record<string, unknown>;
  try {
    module = await importModule<Record<string, unknown>>(url);
  } catch (error) {
    throw new RunnerError(`runner package ${runnerPackage(name)} failed to load: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // A plugin exports a runner (default or `runner`), or a factory returning one.
  let exported = module.default ?? module.runner;
  if (typeof exported === "function" && !isRunner(exported)) exported = await (exported as () => unknown)();
  if (!isRunner(exported)) {
    throw new RunnerError(`runner package ${runnerPackage(name)} does not export a runner`, {
      hint: "export default defineRunner({ name, run(invocation, io) { ... } }) from the package entry",
    });
  }
  return exported;
}

/** Loads the runner called `name`, looking for plugin packages from `fromDir` upwards. Cached per process. */
export async function loadRunner(name: string, fromDir: string): Promise<Runner> {
  const builtin = builtins[name];
  const url = builtin ? undefined : await resolveRunnerPackage(name, fromDir);
  if (!builtin && !url) throw unknownRunner(name);
  const key = url ?? `builtin:${name}`;
  let runner = loaded.get(key);
  if (!runner) {
    runner = builtin ? builtin() : importPlugin(name, url as string);
    loaded.set(key, runner);
  }
  return runner;
}
