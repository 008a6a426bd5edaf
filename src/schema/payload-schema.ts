// Compiling step payload schemas (draft-07 or 2020-12), with sibling-file $refs; cached in memory by path
// and mtime, and on disk by content (src/validator-cache.ts).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { FlowConfigError } from "../core/errors.js";
import { createAjv, isDraft2020, standaloneSource, type ValidateFunction } from "./json-schema.js";
import { loadValidator, storeValidator, validatorKey } from "./validator-cache.js";

const memory = new Map<string, { stamp: string; validate: ValidateFunction }>();

/**
 * `:line:column` of a JSON.parse error, from the character position V8 reports (Node 20 says only
 * "at position N"; later versions add "(line L column C)", dropped here so the place is said once).
 */
export function jsonErrorPlace(text: string, message: string): { at: string; reason: string } {
  const reason = message.replace(/ in JSON at position \d+.*$/, "").replace(/ \(line \d+ column \d+\)$/, "");
  const found = /at position (\d+)/.exec(message);
  // A truncated file fails at its end, and V8 then gives no position.
  const position = found ? Number(found[1]) : /end of JSON input/.test(message) ? text.length : undefined;
  if (position === undefined) return { at: "", reason };
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  return { at: `:${line}:${column}`, reason };
}

function parseSchema(path: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const { at, reason } = jsonErrorPlace(text, (error as Error).message);
    throw new FlowConfigError(`schema is not valid JSON: ${reason}`, { where: `${path}${at}`, cause: error });
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

/**
 * What the compiled validator depends on, cheaply: the size and mtime of the schema and of every
 * other `*.json` in its folder (a `$ref`'d sibling may change while a long-running service uses it).
 */
function stampOf(path: string): string {
  let own: string;
  try {
    const stat = statSync(path);
    own = `${stat.mtimeMs}:${stat.size}`;
  } catch (error) {
    throw new FlowConfigError("schema file not found", { where: path, cause: error });
  }
  const dir = dirname(path);
  const siblings = readdirSync(dir)
    .filter((name) => name.endsWith(".json") && name !== basename(path))
    .sort()
    .map((name) => {
      try {
        const stat = statSync(join(dir, name));
        return `${name}:${stat.mtimeMs}:${stat.size}`;
      } catch {
        return `${name}:gone`;
      }
    });
  return [own, ...siblings].join("|");
}

/** Other `*.json` files in the schema's folder, as [path, text], sorted by name. */
function siblingsOf(path: string): [string, string][] {
  const dir = dirname(path);
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json") && name !== basename(path))
    .sort()
    .map((name) => [join(dir, name), readFileSync(join(dir, name), "utf8")]);
}

function compile(
  path: string,
  text: string,
  siblings: [string, string][],
): { validate: ValidateFunction; source: string } {
  const schema = parseSchema(path, text);
  const draft2020 = isDraft2020(schema);
  const ajv = createAjv(draft2020, { code: { source: true } });
  for (const [siblingPath, siblingText] of siblings) {
    try {
      const sibling = parseSchema(siblingPath, siblingText);
      if (isDraft2020(sibling) === draft2020) ajv.addSchema(withFileId(sibling, siblingPath));
    } catch {
      // A broken sibling only matters if this schema refers to it; compile() then reports the $ref.
    }
  }
  try {
    const validate = ajv.compile(withFileId(schema, path));
    return { validate, source: standaloneSource(ajv, validate) };
  } catch (error) {
    throw new FlowConfigError(`invalid JSON Schema: ${(error as Error).message}`, { where: path, cause: error });
  }
}

/**
 * The compiled validator for a payload schema file. Other `*.json` files in the same folder are
 * registered too, so `{"$ref": "common.schema.json#/definitions/x"}` works. Throws FlowConfigError
 * naming the file for invalid JSON, an invalid schema or an unresolvable $ref.
 */
export function payloadValidator(path: string): ValidateFunction {
  const stamp = stampOf(path);
  const cached = memory.get(path);
  if (cached?.stamp === stamp) return cached.validate;

  const text = readFileSync(path, "utf8");
  const siblings = siblingsOf(path);
  const key = validatorKey([path, text, ...siblings.flat()]);
  let validate = loadValidator(key);
  if (!validate) {
    const compiled = compile(path, text, siblings);
    storeValidator(key, compiled.source);
    validate = compiled.validate;
  }
  memory.set(path, { stamp, validate });
  return validate;
}
