// Ajv set-up shared by contract and payload validation: draft-07 or 2020-12 by `$schema`, formats on, readable errors.
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

export type { ValidateFunction };

const DRAFT_2020 = /json-schema\.org\/draft\/2020-12\/schema/;

export function isDraft2020(schema: unknown): boolean {
  const declared = (schema as { $schema?: unknown } | null)?.$schema;
  return typeof declared === "string" && DRAFT_2020.test(declared);
}

/** A fresh Ajv for the schema's draft; strict mode off because flow authors' schemas use annotations freely. */
export function createAjv(draft2020: boolean): Ajv {
  const options: Options = { allErrors: true, strict: false, validateSchema: true };
  const ajv = draft2020 ? new Ajv2020(options) : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

/** Ajv errors as `"/path: message"` strings, the path `/` for the root. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  if (!errors || errors.length === 0) return [];
  return errors.map((error) => {
    const path = error.instancePath || "/";
    if (error.keyword === "additionalProperties") {
      return `${path}: unknown field "${String(error.params.additionalProperty)}"`;
    }
    if (error.keyword === "enum") {
      return `${path}: ${error.message} (${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")})`;
    }
    return `${path}: ${error.message ?? "is invalid"}`;
  });
}
