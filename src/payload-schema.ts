// Compiling step payload schemas (draft-07 or 2020-12), with sibling-file $refs, cached by path and mtime.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { FlowConfigError } from "./errors.js";
import { createAjv, isDraft2020, type ValidateFunction } from "./json-schema.js";

const cache = new Map<string, { stamp: string; validate: ValidateFunction }>();

function readSchema(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new FlowConfigError(`schema is not valid JSON: ${(error as Error).message}`, { where: path, cause: error });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FlowConfigError("schema must be a JSON object (a JSON Schema)", { where: path });
  }
  return value as Record<string, unknown>;
}

/** The schema with a file-URL `$id` when it has none, so relative `$ref`s between sibling files resolve. */
function withFileId(schema: Record<string, unknown>, path: string): Record<string, unknown> {
  return schema.$id === undefined ? { ...schema, $id: pathToFileURL(path).href } : schema;
}

function stampOf(path: string): string {
  try {
    const stat = statSync(path);
    return `${stat.mtimeMs}:${stat.size}`;
  } catch (error) {
    throw new FlowConfigError("schema file not found", { where: path, cause: error });
  }
}

/**
 * The compiled validator for a payload schema file. Other `*.json` files in the same folder are
 * registered too, so `{"$ref": "common.schema.json#/definitions/x"}` works. Throws FlowConfigError
 * naming the file for invalid JSON, an invalid schema or an unresolvable $ref.
 */
export function payloadValidator(path: string): ValidateFunction {
  const stamp = stampOf(path);
  const cached = cache.get(path);
  if (cached?.stamp === stamp) return cached.validate;

  const schema = readSchema(path);
  const ajv = createAjv(isDraft2020(schema));
  const dir = dirname(path);
  for (const name of readdirSync(dir).sort()) {
    const sibling = join(dir, name);
    if (name === basename(path) || !name.endsWith(".json")) continue;
    try {
      const siblingSchema = readSchema(sibling);
      if (isDraft2020(siblingSchema) === isDraft2020(schema)) ajv.addSchema(withFileId(siblingSchema, sibling));
    } catch {
      // A broken sibling only matters if this schema refers to it; compile() then reports the $ref.
    }
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(withFileId(schema, path));
  } catch (error) {
    throw new FlowConfigError(`invalid JSON Schema: ${(error as Error).message}`, { where: path, cause: error });
  }
  cache.set(path, { stamp, validate });
  return validate;
}
