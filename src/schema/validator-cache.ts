// Compiled payload validators kept on disk as Ajv standalone code: after the first run that sees a schema,
// `codex-flows run` skips loading Ajv and compiling (~40 ms of a ~150 ms run, measured by bench P2).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { cacheDir } from "../core/cache-dir.js";
import { ajvVersion, type ValidateFunction } from "./json-schema.js";
import type { BranchShape, PayloadValidator } from "./schema-branches.js";

/** Bumped when what a cache file holds changes (2: a module may export `main`, branch validators and `branches`). */
const FORMAT = "2";

const require = createRequire(import.meta.url);

/** `validators/` in the cache folder (see core/cache-dir.ts); undefined when caching is off. */
export function validatorCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = cacheDir(env);
  return base === undefined ? undefined : join(base, "validators");
}

/** A key for everything the compiled code depends on: Ajv's version, the options, the schema texts. */
export function validatorKey(parts: string[]): string {
  const hash = createHash("sha256").update(`ajv@${ajvVersion()} format ${FORMAT}`);
  for (const part of parts) hash.update("\0").update(part);
  return hash.digest("hex").slice(0, 32);
}

/** What a cache module exports: one validator, or `main` plus `branch<i>` validators and their `branches`. */
type CachedExports = {
  default?: ValidateFunction;
  main?: ValidateFunction;
  branches?: BranchShape[];
  [name: string]: unknown;
};

/** Turns Ajv standalone CommonJS code back into a validator; its runtime helpers resolve from codex-flows. */
function instantiate(source: string): PayloadValidator {
  const module = { exports: {} as CachedExports };
  new Function("require", "module", "exports", source)(require, module, module.exports);
  const exported = module.exports;
  const validate = (exported.default ?? exported.main ?? exported) as PayloadValidator;
  if (Array.isArray(exported.branches)) {
    validate.branches = exported.branches.map((shape, index) => ({
      ...shape,
      validate: exported[`branch${index}`] as ValidateFunction,
    }));
  }
  return validate;
}

export function loadValidator(key: string, env: NodeJS.ProcessEnv = process.env): PayloadValidator | undefined {
  const dir = validatorCacheDir(env);
  if (!dir) return undefined;
  try {
    return instantiate(readFileSync(join(dir, `${key}.cjs`), "utf8"));
  } catch {
    return undefined; // not cached yet, or unreadable: compile instead
  }
}

/** Stores standalone code atomically (write, then rename), so a concurrent reader never sees half a file. */
export function storeValidator(key: string, source: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = validatorCacheDir(env);
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(temp, source, { mode: 0o600 });
    renameSync(temp, join(dir, `${key}.cjs`));
  } catch {
    // A read-only home is no reason to fail a run; the next run compiles again.
  }
}
