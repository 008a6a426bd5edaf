// Finding runners by name: built-ins load lazily; any other name comes from a `codex-flows-runner-<name>` package.
import { pathToFileURL } from "node:url";
import { resolve as resolveModule } from "import-meta-resolve";
import { RunnerError } from "./errors.js";
import type { Runner } from "./runner.js";

const builtins: Record<string, () => Promise<Runner>> = {
  bun: async () => (await import("../runners/bun/index.js")).bunRunner,
};

export const BUILTIN_RUNNERS = Object.keys(builtins);

export function runnerPackage(name: string): string {
  return `codex-flows-runner-${name}`;
}

/** The URL of the runner package's entry as seen from `fromDir`, or undefined when it is not installed. */
export function resolveRunnerPackage(name: string, fromDir: string): string | undefined {
  try {
    return resolveModule(runnerPackage(name), pathToFileURL(`${fromDir}/`).href);
  } catch {
    return undefined;
  }
}

/** Whether `name` is a built-in runner or an installed runner package, without loading it. */
export function runnerExists(name: string, fromDir: string): boolean {
  return name in builtins || resolveRunnerPackage(name, fromDir) !== undefined;
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
    module = (await import(url)) as Record<string, unknown>;
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
export function loadRunner(name: string, fromDir: string): Promise<Runner> {
  const builtin = builtins[name];
  const url = builtin ? undefined : resolveRunnerPackage(name, fromDir);
  const key = builtin ? `builtin:${name}` : (url ?? `missing:${name}`);
  let runner = loaded.get(key);
  if (!runner) {
    if (builtin) runner = builtin();
    else if (url) runner = importPlugin(name, url);
    else return Promise.reject(unknownRunner(name));
    loaded.set(key, runner);
  }
  return runner;
}
