// A step's trigger schema as the Convex component takes it: the document, and the sibling files its `$ref`s reach, as the local backend resolves them.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { FlowConfigError } from "../core/errors.js";
import { reachedSiblings, virtualUrl } from "../schema/schema-documents.js";

export interface SchemaBundle {
  /** The schema as JSON text (Convex field names cannot start with `$`, so documents travel as text). */
  schema: string;
  /** The URL the local backend compiles it under when it has no `$id`: its relative `$ref`s resolve against it. */
  schemaUrl: string;
  /** Each sibling file it reaches through `$ref`s, under the URL the local backend gives that file. */
  schemaFiles?: { url: string; text: string }[];
}

function compact(text: string, path: string, where: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw new FlowConfigError(`${where}: its trigger schema ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The schema at `path` with what the component needs to check payloads as the local backend (Ajv)
 * does: the component cannot read the project's files, so the `*.json` files next to the schema that
 * its `$ref`s reach (by file name or by `$id`, src/schema/schema-documents.ts) go with it.
 */
export function schemaBundle(path: string, where: string): SchemaBundle {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new FlowConfigError(`${where}: cannot read its trigger schema ${path}: ${(error as Error).message}`);
  }
  const schema = compact(text, path, where);
  const files = reachedSiblings(path, text).flatMap((sibling) => {
    try {
      return [{ url: virtualUrl(sibling.name), text: JSON.stringify(JSON.parse(sibling.text)) }];
    } catch {
      // As locally: a broken sibling matters only if a `$ref` reaches into it, which then fails to resolve.
      return [];
    }
  });
  return { schema, schemaUrl: virtualUrl(basename(path)), ...(files.length > 0 ? { schemaFiles: files } : {}) };
}
