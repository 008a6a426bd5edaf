// Runtime validation of the project's own contracts (schemas/*.schema.json), compiled lazily on first use.

import type { ErrorObject } from "ajv";
import manifestSchema from "../schemas/flow.schema.json";
import flowEventSchema from "../schemas/flow-event.schema.json";
import flowResultSchema from "../schemas/flow-result.schema.json";
import runContextSchema from "../schemas/run-context.schema.json";
import { createAjv, formatSchemaErrors, type ValidateFunction } from "./json-schema.js";

export type ContractName = "manifest" | "event" | "result" | "runContext";

const schemas: Record<ContractName, object> = {
  manifest: manifestSchema,
  event: flowEventSchema,
  result: flowResultSchema,
  runContext: runContextSchema,
};

let ajv: ReturnType<typeof createAjv> | undefined;
const compiled = new Map<ContractName, ValidateFunction>();

function validatorFor(name: ContractName): ValidateFunction {
  let validate = compiled.get(name);
  if (!validate) {
    if (!ajv) {
      ajv = createAjv(false);
      // run-context refers to the event schema by its relative $id.
      ajv.addSchema(flowEventSchema);
    }
    validate = ajv.getSchema((schemas[name] as { $id: string }).$id) ?? ajv.compile(schemas[name]);
    compiled.set(name, validate);
  }
  return validate;
}

/** Validates `value` against one contract; returns Ajv's error objects, empty when valid. */
export function contractProblemsDetailed(name: ContractName, value: unknown): ErrorObject[] {
  const validate = validatorFor(name);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

/** Validates `value` against one contract; returns `"/path: message"` problems, empty when valid. */
export function contractProblems(name: ContractName, value: unknown): string[] {
  return formatSchemaErrors(contractProblemsDetailed(name, value));
}
