// Compiling step payload schemas (draft-07 or 2020-12), with sibling-file $refs; cached in memory by path
// and mtime and by content, and on disk by content (validator-cache.ts).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { FlowConfigError } from "../core/errors.js";
import { createAjv, isDraft2020, standaloneSource } from "./json-schema.js";
import { checkSchema } from "./meta-check.js";
import { findBranches, liveBranches, type PayloadValidator } from "./schema-branches.js";
import { reachedSiblings, type SchemaDocument, VIRTUAL_FOLDER, virtualUrl } from "./schema-documents.js";
import { schemaNeeds } from "./schema-needs.js";
import { loadValidator, storeValidator, validatorCacheDir, validatorKey } from "./validator-cache.js";

/** By path, while the file and its folder are unchanged. */
const memory = new Map<string, { stamp: string; validate: PayloadValidator }>();
/** By content key (validatorKey), across flows and folders. */
const byContent = new Map<string, PayloadValidator>();

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

/** The schema with a virtual file-URL `$id` when it has none, so relative `$ref`s between sibling files resolve. */
function withFileId(schema: Record<string, unknown>, name: string): Record<string, unknown> {
  return schema.$id === undefined ? { ...schema, $id: virtualUrl(name) } : schema;
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

/** Ajv's messages name the virtual folder; the user knows the real one. */
function realPaths(message: string, path: string): string {
  return message.split(VIRTUAL_FOLDER).join(`${pathToFileURL(dirname(path)).href}/`);
}

/** Ids are URLs; the document part is what a `$ref` names before its `#`. */
const documentOf = (id: string) => id.replace(/#.*$/, "");

/**
 * Compiles the schema with the siblings it reaches; with standalone source for the validator cache when
 * `source` (building it costs a few ms, wasted when the cache is off). Each schema is checked against its
 * meta-schema by a precompiled validator (meta-check.ts), so Ajv compiles with `validateSchema: false`.
 */
function compile(
  path: string,
  text: string,
  siblings: SchemaDocument[],
  source: boolean,
): { validate: PayloadValidator; source?: string } {
  const schema = parseSchema(path, text);
  const draft2020 = isDraft2020(schema);
  const related: Record<string, unknown>[] = [];
  for (const sibling of siblings) {
    try {
      const siblingSchema = withFileId(parseSchema(join(dirname(path), sibling.name), sibling.text), sibling.name);
      if (isDraft2020(siblingSchema) === draft2020) related.push(siblingSchema);
    } catch {
      // A broken sibling only matters if this schema refers to it; compile() then reports the $ref.
    }
  }
  // Only what these schemas use: no meta-schema document unless one is $ref'd (meta-check.ts checks
  // each schema itself), no formats unless a `format` keyword is there.
  const needs = schemaNeeds([schema, ...related]);
  const ajv = createAjv(draft2020, { validateSchema: false, meta: needs.metaSchemas, code: { source } }, needs.formats);
  const documents = new Map<string, unknown>();
  for (const siblingSchema of related) {
    try {
      checkSchema(ajv, siblingSchema, draft2020);
      ajv.addSchema(siblingSchema);
      documents.set(documentOf(String(siblingSchema.$id)), siblingSchema);
    } catch {
      // As above: a sibling that breaks its meta-schema is left out.
    }
  }
  const root = withFileId(schema, basename(path));
  let validate: PayloadValidator;
  try {
    checkSchema(ajv, root, draft2020);
    validate = ajv.compile(root);
  } catch (error) {
    const message = realPaths((error as Error).message, path);
    throw new FlowConfigError(`invalid JSON Schema: ${message}`, { where: path, cause: error });
  }
  documents.set(documentOf(String(root.$id)), root);
  const found = typeof root.$id === "string" ? findBranches(documents, root.$id) : undefined;
  const branches = found && liveBranches(ajv, found);
  if (!found || !branches) return { validate, source: source ? standaloneSource(ajv, validate) : undefined };
  // The branch validators ride along in the same module, so a rejection can be explained from the cache.
  validate.branches = branches;
  if (!source) return { validate };
  const exports = Object.fromEntries([
    ["main", String(root.$id)],
    ...found.map((branch, index) => [`branch${index}`, branch.uri]),
  ]);
  const shapes = JSON.stringify(found.map(({ uri, ...shape }) => shape));
  return { validate, source: `${standaloneSource(ajv, exports)}\nexports.branches = ${shapes};\n` };
}

/**
 * The compiled validator for a payload schema file. The other `*.json` files in the same folder that
 * it reaches are registered too, so `{"$ref": "common.schema.json#/definitions/x"}` works. Throws
 * FlowConfigError naming the file for invalid JSON, an invalid schema or an unresolvable $ref.
 *
 * Compiled once per process per content: the key is the schema's text and name and those of the files
 * it reaches, never the folder, so eight flows holding the same large schema compile it once, and
 * share one on-disk cache entry (bench P6).
 */
export function payloadValidator(path: string): PayloadValidator {
  const stamp = stampOf(path);
  const cached = memory.get(path);
  if (cached?.stamp === stamp) return cached.validate;

  const text = readFileSync(path, "utf8");
  const siblings = reachedSiblings(path, text);
  const key = validatorKey([basename(path), text, ...siblings.flatMap((sibling) => [sibling.name, sibling.text])]);
  let validate = byContent.get(key) ?? loadValidator(key);
  if (!validate) {
    const compiled = compile(path, text, siblings, validatorCacheDir() !== undefined);
    if (compiled.source !== undefined) storeValidator(key, compiled.source);
    validate = compiled.validate;
  }
  byContent.set(key, validate);
  memory.set(path, { stamp, validate });
  return validate;
}
