// TypeScript names for generated code: type names from step and file names, namespaces from flow names, safe keys.

/** `do-work` -> `DoWork`, `release.schema` -> `ReleaseSchema`; a leading digit gets a `T` in front. */
export function pascalCase(text: string): string {
  const name = text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]?.toUpperCase() + word.slice(1))
    .join("");
  if (name === "") return "T";
  return /^[0-9]/.test(name) ? `T${name}` : name;
}

/** Words that cannot name an import binding (reserved words, and strict-mode ones). */
const RESERVED = new Set(
  (
    "break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if import in instanceof new null return super switch this throw true try typeof var void while with " +
    "yield let static implements interface package private protected public await arguments eval"
  ).split(" "),
);

/**
 * `openai-codex-bindings` -> `openaiCodexBindings`; a leading digit or a reserved word (`export`,
 * `delete`) gets `flow` in front, so the result is always a usable binding name.
 */
export function camelCase(text: string): string {
  const pascal = pascalCase(text);
  if (pascal.startsWith("T") && /^[0-9]/.test(text)) return `flow${pascal.slice(1)}`;
  const camel = pascal[0]?.toLowerCase() + pascal.slice(1);
  return RESERVED.has(camel) ? `flow${pascal}` : camel;
}

/** The type name a schema file gives when it has no `title`: `greeting.schema.json` -> `Greeting`. */
export function typeNameOfFile(fileName: string): string {
  return pascalCase(fileName.replace(/\.json$/i, "").replace(/\.schema$/i, ""));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** An object key as TypeScript source: bare when it is an identifier, else a JSON string. */
export function propertyKey(key: string): string {
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

/** Unique names in order of first use: the second `x` becomes `x2`, and so on; `taken` are never given. */
export function uniqueNames(names: string[], taken: Set<string> = new Set()): string[] {
  const used = new Set<string>(taken);
  return names.map((name) => {
    let candidate = name;
    for (let n = 2; used.has(candidate); n += 1) candidate = `${name}${n}`;
    used.add(candidate);
    return candidate;
  });
}
