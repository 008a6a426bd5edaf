// Checks a flow author's schema against its draft's meta-schema with validators precompiled from Ajv's
// (codegen/meta-validators.mjs): Ajv would first compile the meta-schema itself, ~40 ms of a first run.
import type Ajv from "ajv";
import { ajvBundle } from "./json-schema.js";

/** The `$schema` values Ajv's draft-07 and 2020-12 classes resolve to their own meta-schema (no trailing `#`). */
const OWN_META = {
  draft07: ["http://json-schema.org/draft-07/schema", "http://json-schema.org/schema"],
  draft2020: ["https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/schema"],
};

/**
 * Throws what Ajv's own check throws (`schema is invalid: data/type must be ...`) when the schema breaks
 * its meta-schema, so an Ajv compiled with `validateSchema: false` reports the same errors. A `$schema`
 * naming any other meta-schema, or not a string, is left to Ajv (`ajv` is the instance that compiles).
 */
export function checkSchema(ajv: Ajv, schema: Record<string, unknown>, draft2020: boolean): void {
  const declared = schema.$schema;
  const own =
    declared === undefined ||
    declared === "" ||
    (typeof declared === "string" &&
      OWN_META[draft2020 ? "draft2020" : "draft07"].includes(declared.replace(/#\/?$/, "")));
  if (!own) {
    ajv.validateSchema(schema, true);
    return;
  }
  const validate = ajvBundle().metaValidator(draft2020);
  if (!validate(schema)) throw new Error(`schema is invalid: ${ajv.errorsText(validate.errors)}`);
}
