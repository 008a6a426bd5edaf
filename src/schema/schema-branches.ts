// The `oneOf`/`anyOf` branches of a payload schema and their discriminators (`action: {"const": "opened"}`),
// found once at compile time, so a rejection can name the branch the payload was meant for.
import type Ajv from "ajv";
import type { ValidateFunction } from "./json-schema.js";

/** One branch: where it is (a URI Ajv resolves) and the top-level properties it pins to a few values. */
export interface BranchShape {
  /** Property name -> the values its `const` or `enum` allows. */
  discriminators: Record<string, unknown[]>;
  /** The top-level properties it declares: a payload's keys tell `issues` from `pull_request`. */
  properties: string[];
  /** Its definition name (`issues$opened`) when it is one, for the reason line. */
  name?: string;
}

export interface BranchInfo extends BranchShape {
  uri: string;
}

/** A branch at match time: its shape and a validator for it alone. */
export interface Branch extends BranchShape {
  validate: ValidateFunction;
}

/** A payload validator, with the branches of its top-level `oneOf`/`anyOf` when they have discriminators. */
export type PayloadValidator = ValidateFunction & { branches?: Branch[] };

/** More than this many branches are not worth a validator each; the summary then falls back to the errors. */
const MAX_BRANCHES = 400;
const MAX_HOPS = 16;

type Schema = Record<string, unknown>;
const isObject = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const isPrimitive = (value: unknown) => value === null || ["string", "number", "boolean"].includes(typeof value);

/** `uri` plus JSON pointer steps (`.../oneOf/2`), with a `#` when the URI has none yet. */
const child = (uri: string, ...steps: (string | number)[]) =>
  `${uri.includes("#") ? uri : `${uri}#`}/${steps.map((step) => String(step).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;

/** The schema a URI points at in the compiled documents (by document id, then JSON pointer). */
function at(documents: Map<string, unknown>, uri: string): unknown {
  const [document = "", pointer = ""] = uri.split("#");
  let value = documents.get(document);
  for (const step of pointer.split("/").slice(1)) {
    const key = decodeURIComponent(step).replace(/~1/g, "/").replace(/~0/g, "~");
    value = isObject(value) || Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
  }
  return value;
}

/** The schema at `uri`, following `$ref`-only wrappers; with the URI it really sits at. */
function resolve(documents: Map<string, unknown>, uri: string): { uri: string; schema: Schema } | undefined {
  let where = uri;
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const schema = at(documents, where);
    if (!isObject(schema)) return undefined;
    if (typeof schema.$ref !== "string" || "oneOf" in schema || "anyOf" in schema || "properties" in schema) {
      return { uri: where, schema };
    }
    where = new URL(schema.$ref, where).href;
  }
  return undefined;
}

function discriminatorsOf(schema: Schema): Record<string, unknown[]> {
  const found: Record<string, unknown[]> = {};
  if (!isObject(schema.properties)) return found;
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!isObject(property)) continue;
    if ("const" in property && isPrimitive(property.const)) found[name] = [property.const];
    else if (Array.isArray(property.enum) && property.enum.every(isPrimitive)) found[name] = property.enum;
  }
  return found;
}

/**
 * The leaf branches of the schema at `rootUri` (`documents`: the schemas compiled together, by `$id`): its `oneOf`/`anyOf`, with branches that pin nothing
 * themselves but are a `oneOf` again (an event `oneOf` its actions) flattened. Undefined when the
 * schema has no such branches or none has a discriminator.
 */
export function findBranches(documents: Map<string, unknown>, rootUri: string): BranchInfo[] | undefined {
  const leaves: BranchInfo[] = [];
  const visit = (uri: string, depth: number): boolean => {
    const found = resolve(documents, uri);
    if (!found) return false;
    const keyword = Array.isArray(found.schema.oneOf)
      ? "oneOf"
      : Array.isArray(found.schema.anyOf)
        ? "anyOf"
        : undefined;
    const discriminators = discriminatorsOf(found.schema);
    if (keyword && Object.keys(discriminators).length === 0 && depth < 3) {
      const list = found.schema[keyword] as unknown[];
      return list.every((_, index) => visit(child(found.uri, keyword, index), depth + 1));
    }
    if (depth === 0) return false;
    const properties = isObject(found.schema.properties) ? Object.keys(found.schema.properties) : [];
    const steps = (found.uri.split("#")[1] ?? "").split("/");
    const definition = ["definitions", "$defs"].includes(steps.at(-2) ?? "") ? steps.at(-1) : undefined;
    const name = definition && decodeURIComponent(definition).replace(/~1/g, "/").replace(/~0/g, "~");
    leaves.push({ uri: found.uri, discriminators, properties, ...(name ? { name } : {}) });
    return leaves.length <= MAX_BRANCHES;
  };
  try {
    if (!visit(rootUri, 0)) return undefined;
  } catch {
    return undefined; // an odd pointer: no summary by branch, the errors still tell
  }
  return leaves.some((leaf) => Object.keys(leaf.discriminators).length > 0) ? leaves : undefined;
}

/** Validators for the branches, by URI, from the Ajv instance that compiled them; undefined if one fails. */
export function liveBranches(ajv: Ajv, branches: BranchInfo[]): Branch[] | undefined {
  try {
    const live = branches.map(({ uri, ...shape }) => ({ ...shape, validate: ajv.getSchema(uri) }));
    return live.every((branch) => branch.validate) ? (live as Branch[]) : undefined;
  } catch {
    return undefined;
  }
}
