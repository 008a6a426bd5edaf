// Ajv set-up for payload schemas: draft-07 or 2020-12 by `$schema`, formats on. Ajv loads only when a
// schema must really be compiled (a validator-cache miss), since loading it costs ~20 ms.
import { createRequire } from "node:module";
import type Ajv from "ajv";
import type { Options, ValidateFunction } from "ajv";

export type { ValidateFunction };

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;
const require = createRequire(import.meta.url);

/** Ajv's options for every validator codex-flows compiles (codegen/contract-validators.mjs uses the same). */
export const AJV_OPTIONS: Options = { allErrors: true, strict: false };

export function isDraft2020(schema: unknown): boolean {
  const declared = (schema as { $schema?: unknown } | null)?.$schema;
  return typeof declared === "string" && DRAFT_2020.test(declared);
}

/** A fresh Ajv for the schema's draft; strict mode off because flow authors' schemas use annotations freely. */
export function createAjv(draft2020: boolean, options: Options = {}): Ajv {
  const AjvClass: typeof Ajv = draft2020 ? require("ajv/dist/2020.js") : require("ajv");
  const addFormats: (ajv: Ajv) => Ajv = require("ajv-formats");
  const ajv = new AjvClass({ ...AJV_OPTIONS, ...options });
  addFormats(ajv);
  return ajv;
}

/**
 * Ajv standalone CommonJS code for a validator compiled with `code: { source: true }`; or, given
 * export names -> schema URIs, one module exporting each (code they share is emitted once).
 */
export function standaloneSource(ajv: Ajv, validate: ValidateFunction | Record<string, string>): string {
  const standalone: (ajv: Ajv, what: ValidateFunction | Record<string, string>) => string =
    require("ajv/dist/standalone").default;
  return standalone(ajv, validate);
}
