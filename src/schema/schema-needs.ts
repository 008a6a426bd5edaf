// What parts of Ajv a set of schemas needs, found by one walk: a first compile adds formats (ajv-formats,
// ~2 ms) and the draft's meta-schema document (~3 ms of resolving its ids) only for schemas that use them.

export interface SchemaNeeds {
  /** A `format` keyword: without the formats added, Ajv would warn and ignore it. */
  formats: boolean;
  /** A `$ref` into json-schema.org (a property holding a schema): only then is the meta-schema registered (it uses formats too). */
  metaSchemas: boolean;
}

export function schemaNeeds(schemas: unknown[]): SchemaNeeds {
  const needs: SchemaNeeds = { formats: false, metaSchemas: false };
  const pending = [...schemas];
  while (pending.length > 0 && !(needs.formats && needs.metaSchemas)) {
    const value = pending.pop();
    if (typeof value !== "object" || value === null) continue;
    if (Array.isArray(value)) {
      pending.push(...value);
      continue;
    }
    for (const [key, child] of Object.entries(value)) {
      if (key === "format") needs.formats = true;
      else if (
        (key === "$ref" || key === "$dynamicRef") &&
        typeof child === "string" &&
        child.includes("json-schema.org")
      ) {
        needs.metaSchemas = true;
        needs.formats = true;
      }
      if (typeof child === "object" && child !== null) pending.push(child);
    }
  }
  return needs;
}
