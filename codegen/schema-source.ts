// Schema files as json-schema-to-typescript sees them: $refs resolved the way the runtime validator (ajv) does.
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { FlowConfigError } from "../src/core/errors.js";
import { typeNameOfFile } from "./names.js";
import { FILE } from "./payload-types.js";

type Schema = Record<string, unknown>;

/** Keywords after which json-schema-to-typescript knows what type a schema is; without any it guesses "object". */
const TYPE_KEYWORDS = [
  "type",
  "enum",
  "const",
  "$ref",
  "properties",
  "patternProperties",
  "additionalProperties",
  "required",
  "items",
  "anyOf",
  "oneOf",
  "allOf",
  "tsType",
];
const SCHEMA_MAPS = ["properties", "patternProperties", "definitions", "$defs", "dependentSchemas"];
const SCHEMA_LISTS = ["anyOf", "oneOf", "allOf", "prefixItems"];
const SCHEMA_VALUES = [
  "additionalProperties",
  "items",
  "additionalItems",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
];

const isObject = (value: unknown): value is Schema =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Where a schema sits: the base its refs resolve against, its file's URL, and the folder's files by URL and `$id`. */
interface Place {
  base: string;
  self: string;
  ids: Map<string, string>;
}

/** The document part of a URL, which is what schema `$id`s name. */
const documentOf = (url: URL): string => url.href.replace(/#.*$/, "");

/**
 * Reads schema files for one codegen run. Like src/payload-schema.ts, it knows every `*.json` file in a
 * schema's folder by its `$id` and by its file URL, so a `$ref` resolves to the same file for types as for
 * validation. Nothing is fetched over the network.
 */
export class SchemaSource {
  private readonly folders = new Map<string, Map<string, string>>();

  /** `$id`s and file URLs of the JSON files in `dir`, each mapped to its path. */
  private idsIn(dir: string): Map<string, string> {
    let ids = this.folders.get(dir);
    if (ids) return ids;
    ids = new Map();
    let names: string[] = [];
    try {
      names = readdirSync(dir).sort();
    } catch {
      // A missing folder has no siblings; reading the file itself reports the problem.
    }
    for (const name of names.filter((entry) => entry.endsWith(".json"))) {
      const path = join(dir, name);
      ids.set(pathToFileURL(path).href, path);
      try {
        const id = (JSON.parse(readFileSync(path, "utf8")) as Schema).$id;
        if (typeof id === "string" && URL.canParse(id)) ids.set(documentOf(new URL(id)), path);
      } catch {
        // A broken sibling matters only when referred to; reading it then names the file.
      }
    }
    this.folders.set(dir, ids);
    return ids;
  }

  /** A schema file parsed and prepared for json-schema-to-typescript. Throws FlowConfigError naming the file. */
  read(path: string): Schema {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : (error as Error).message;
      throw new FlowConfigError(`cannot read schema: ${reason}`, { where: path, cause: error });
    }
    if (!isObject(value)) throw new FlowConfigError("a schema file must hold a JSON object", { where: path });
    const base = typeof value.$id === "string" && URL.canParse(value.$id) ? value.$id : pathToFileURL(path).href;
    const schema = this.prepare(value, { base, self: pathToFileURL(path).href, ids: this.idsIn(dirname(path)) });
    // Named from the title, else from the file name (`release.schema.json` -> `Release`).
    if (typeof schema.title !== "string") schema.title = typeNameOfFile(basename(path));
    schema[FILE] = path;
    return schema;
  }

  /** A resolver for json-schema-to-typescript's `$refOptions`: local files only, through `read`. */
  resolver() {
    return {
      order: 1,
      canRead: true,
      read: (file: { url: string }) => {
        if (!file.url.startsWith("file:") && !file.url.startsWith("/")) {
          throw new FlowConfigError(`cannot resolve $ref "${file.url}": it is not a schema file next to this one`, {
            hint: "refer to sibling schema files by file name or by their $id",
          });
        }
        const path = file.url.startsWith("file:") ? fileURLToPath(file.url) : file.url;
        return JSON.stringify(this.read(path));
      },
    };
  }

  /**
   * Copies a schema with two fixes that keep the types faithful to validation:
   * - `$ref`s to other files become file URLs, resolved against `$id` as ajv does (a relative `$ref`
   *   in a schema with an https `$id` names the sibling holding that `$id`, not a web address);
   * - a schema with no type-giving keyword accepts any value, so it types as `unknown` (the library
   *   would type it as an object), and a bare `{"type": "object"}` allows any properties.
   */
  private prepare(schema: Schema, at: Place): Schema {
    const { base, self, ids } = at;
    const copy: Schema = { ...schema };
    if (typeof copy.$ref === "string" && copy.$ref.startsWith("#")) {
      // A local pointer means this file, also when the file was reached through another one's `$ref`.
      copy.$ref = self + copy.$ref;
    } else if (typeof copy.$ref === "string" && URL.canParse(copy.$ref, base)) {
      const target = new URL(copy.$ref, base);
      const path = ids.get(documentOf(target));
      if (path) copy.$ref = pathToFileURL(path).href + target.hash;
    }
    for (const key of SCHEMA_MAPS) {
      if (isObject(copy[key])) {
        const entries = Object.entries(copy[key]).map(([name, sub]) => [name, this.sub(sub, at)]);
        copy[key] = Object.fromEntries(entries);
      }
    }
    for (const key of SCHEMA_LISTS) {
      if (Array.isArray(copy[key])) copy[key] = copy[key].map((sub) => this.sub(sub, at));
    }
    for (const key of SCHEMA_VALUES) {
      if (Array.isArray(copy[key])) copy[key] = copy[key].map((sub) => this.sub(sub, at));
      else if (copy[key] !== undefined) copy[key] = this.sub(copy[key], at);
    }
    if (!TYPE_KEYWORDS.some((keyword) => keyword in copy)) copy.tsType = "unknown";
    const bareObject = !("properties" in copy || "patternProperties" in copy || "additionalProperties" in copy);
    if (copy.type === "object" && bareObject) copy.additionalProperties = true;
    return copy;
  }

  private sub(value: unknown, at: Place): unknown {
    return isObject(value) ? this.prepare(value, at) : value;
  }
}
