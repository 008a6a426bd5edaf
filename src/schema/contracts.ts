// Runtime validation of the project's own contracts (schemas/*.schema.json), with validators precompiled
// by codegen/contract-validators.mjs: Ajv's compile step would cost ~40 ms at every CLI start.
import type { ErrorObject } from "ajv";
import { event, manifest, result, runContext } from "./generated/contract-validators.js";
import { formatSchemaErrors } from "./schema-errors.js";

const validators = { event, manifest, result, runContext };

export type ContractName = keyof typeof validators;

/** Validates `value` against one contract; returns Ajv's error objects, empty when valid. */
export function contractProblemsDetailed(name: ContractName, value: unknown): ErrorObject[] {
  const validate = validators[name];
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

/** Validates `value` against one contract; returns `"/path: message"` problems, empty when valid. */
export function contractProblems(name: ContractName, value: unknown): string[] {
  return formatSchemaErrors(contractProblemsDetailed(name, value));
}
