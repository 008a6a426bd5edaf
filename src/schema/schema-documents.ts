// The schema files a payload schema reaches through `$ref`s, named by file name rather than by folder, so
// a compiled validator depends on content only and is shared by every flow that holds the same files.
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The base every schema file without its own `$id` is compiled under (plus its file name). A fixed
 * folder, not the real one: the compiled code, and so its cache key, must not depend on where the flow
 * lives. Sibling refs resolve the same way, since all the files compiled together share one folder.
 */
export const VIRTUAL_FOLDER = pathToFileURL("/codex-flows/schemas/").href;

/** A file's URL in the virtual folder, encoded as a real file URL would be (so `$ref`s resolve to it). */
export const virtualUrl = (name: string): string => pathToFileURL(`/codex-flows/schemas/${name}`).href;

/** A schema file as the compiler sees it: its name in the folder and its text. */
export interface SchemaDocument {
  name: string;
  text: string;
}

const documentPart = (url: string): string => url.replace(/#.*$/, "");

/** `$ref` strings anywhere in a parsed schema (a property named `$ref` counts too: that only adds a file). */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) {
    for (const item of value) refsIn(item, found);
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      if (key === "$ref" && typeof item === "string") found.push(item);
      else refsIn(item, found);
    }
  }
  return found;
}

/** The URL a document's relative refs resolve against: its own absolute `$id`, else its virtual file URL. */
function baseOf(name: string, schema: unknown): string {
  const id = (schema as { $id?: unknown } | null)?.$id;
  return typeof id === "string" && URL.canParse(id) ? id : virtualUrl(name);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The other `*.json` files in `path`'s folder that the schema reaches, directly or through each other,
 * sorted by name. Refs are matched by file name and by `$id`, as Ajv resolves them. When some ref names
 * no file here (a nested `$id`, a typo), every sibling is returned: Ajv then sees what it always saw,
 * and reports a ref that really does not resolve.
 */
export function reachedSiblings(path: string, text: string): SchemaDocument[] {
  const dir = dirname(path);
  const own = basename(path);
  const names = readdirSync(dir)
    .filter((name) => name.endsWith(".json") && name !== own)
    .sort();
  const texts = new Map<string, string>();
  const textOf = (name: string): string => {
    let known = texts.get(name);
    if (known === undefined) {
      known = readFileSync(join(dir, name), "utf8");
      texts.set(name, known);
    }
    return known;
  };
  const all = (): SchemaDocument[] => names.map((name) => ({ name, text: textOf(name) }));
  // Nothing refers anywhere: the common case, decided without parsing.
  if (!text.includes("$ref")) return [];

  let byId: Map<string, string> | undefined;
  const lookup = (url: string): string | undefined => {
    const name = names.find((entry) => virtualUrl(entry) === url);
    if (name) return name;
    byId ??= new Map(names.map((entry) => [documentPart(baseOf(entry, parse(textOf(entry)))), entry]));
    return byId.get(url);
  };

  const reached = new Set<string>();
  const queue: [string, unknown][] = [[own, parse(text)]];
  for (let next = queue.shift(); next; next = queue.shift()) {
    const [name, schema] = next;
    const base = baseOf(name, schema);
    for (const ref of refsIn(schema)) {
      if (ref.startsWith("#") || !URL.canParse(ref, base)) continue;
      const target = documentPart(new URL(ref, base).href);
      if (target === documentPart(base)) continue;
      const found = lookup(target);
      if (found === undefined) return all();
      if (found === own || reached.has(found)) continue;
      reached.add(found);
      queue.push([found, parse(textOf(found))]);
    }
  }
  return [...reached].sort().map((name) => ({ name, text: textOf(name) }));
}
