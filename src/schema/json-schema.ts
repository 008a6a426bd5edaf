// Ajv set-up for payload schemas: draft-07 or 2020-12 by `$schema`, formats on. Ajv loads only when a
// schema must really be compiled (a validator-cache miss), and then from one bundled file (dist/ajv.cjs).
import { createRequire } from "node:module";
import type Ajv from "ajv";
import type { Options, ValidateFunction } from "ajv";
import type * as AjvBundle from "./ajv-bundle.cjs";

export type { ValidateFunction };

/** Set by tsup.config.ts: the bundled ajv-bundle.cjs beside the built file, and the Ajv version inside it. */
declare const __CODEX_FLOWS_AJV_BUNDLE__: string | undefined;
declare const __CODEX_FLOWS_AJV_VERSION__: string | undefined;

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;
const require = createRequire(import.meta.url);

/** Ajv's options for every validator codex-flows compiles (codegen/contract-validators.mjs uses the same). */
export const AJV_OPTIONS: Options = { allErrors: true, strict: false };

/** Ajv and what goes with it: in the build one file (dist/ajv.cjs), from source the module it bundles. */
export function ajvBundle(): typeof AjvBundle {
  return require(typeof __CODEX_FLOWS_AJV_BUNDLE__ === "string" ? __CODEX_FLOWS_AJV_BUNDLE__ : "./ajv-bundle.cjs");
}

/** The version of the Ajv that compiles, without loading it (it is part of every validator-cache key). */
export function ajvVersion(): string {
  if (typeof __CODEX_FLOWS_AJV_VERSION__ === "string") return __CODEX_FLOWS_AJV_VERSION__;
  return (require("ajv/package.json") as { version: string }).version;
}

export function isDraft2020(schema: unknown): boolean {
  const declared = (schema as { $schema?: unknown } | null)?.$schema;
  return typeof declared === "string" && DRAFT_2020.test(declared);
}

/**
 * A fresh Ajv for the schema's draft; strict mode off because flow authors' schemas use annotations
 * freely. Formats are added unless `formats` is false (for schemas known to use none).
 */
export function createAjv(draft2020: boolean, options: Options = {}, formats = true): Ajv {
  const bundle = ajvBundle();
  const AjvClass = bundle.ajvClass(draft2020);
  const ajv = new AjvClass({ ...AJV_OPTIONS, ...options });
  if (formats) bundle.addFormats(ajv);
  return ajv;
}

/**
 * Ajv standalone CommonJS code for a validator compiled with `code: { source: true }`; or, given
 * export names -> schema URIs, one module exporting each (code they share is emitted once).
 */
export function standaloneSource(ajv: Ajv, validate: ValidateFunction | Record<string, string>): string {
  return ajvBundle().standaloneCode(ajv, validate);
}
