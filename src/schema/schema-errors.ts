// Ajv validation errors as short readable lines, shared by contract and payload validation.
import type { ErrorObject } from "ajv";

/** Ajv errors as `"/path: message"` strings, the path `/` for the root. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  if (!errors || errors.length === 0) return [];
  return errors.map((error) => {
    const path = error.instancePath || "/";
    if (error.keyword === "additionalProperties") {
      return `${path}: unknown field "${String(error.params.additionalProperty)}"`;
    }
    if (error.keyword === "enum") {
      const allowed = (error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ");
      return `${path}: ${error.message} (${allowed})`;
    }
    return `${path}: ${error.message ?? "is invalid"}`;
  });
}
