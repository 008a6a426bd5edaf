// Matching an event to the synced steps inside the component: type first, then the payload schema (ajv).
import Ajv from "ajv";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { Infer } from "convex/values";
import { describeRejection } from "../../schema/rejection.js";
import type { Doc } from "./_generated/dataModel.js";
import { AJV_OPTIONS_PURE } from "./ajv-options.js";
import type { skippedStep, syncedStep } from "./schema.js";

type SyncedStep = Infer<typeof syncedStep>;
type Skipped = Infer<typeof skippedStep>;

export interface PlannedRun {
  flow: string;
  step: string;
  runner: string;
  maxAttempts: number;
}

export interface EventPlan {
  runs: PlannedRun[];
  skipped: Skipped[];
}

type Validate = ((payload: unknown) => boolean) & { errors?: unknown };

/**
 * Validators compiled in this isolate, by schema text. Ajv compiles with `new Function`; a runtime
 * that refuses code generation from strings makes the step a non-match whose reason says so.
 */
const compiled = new Map<string, Validate>();

function validatorFor(text: string): Validate {
  const known = compiled.get(text);
  if (known) return known;
  const schema = JSON.parse(text) as unknown;
  const draft2020 = /draft\/2020-12/.test(String((schema as { $schema?: unknown })?.$schema ?? ""));
  const AjvClass = (draft2020 ? Ajv2020 : Ajv) as unknown as typeof Ajv;
  const ajv = new AjvClass(AJV_OPTIONS_PURE);
  (addFormats as unknown as (ajv: unknown) => void)(ajv);
  const validate = ajv.compile(schema as object) as Validate;
  compiled.set(text, validate);
  return validate;
}

function verdict(step: SyncedStep, type: string, payload: unknown): string | undefined {
  if (step.triggerType !== type) return `type differs: event is "${type}", step wants "${step.triggerType}"`;
  if (step.schema === undefined) return undefined;
  let validate: Validate;
  try {
    validate = validatorFor(step.schema);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `schema error: ${message}`;
  }
  if (validate(payload)) return undefined;
  return describeRejection(validate as never, payload).reason;
}

/** One queued run per step whose trigger matches; every other step with the reason it did not. */
export function planEvent(event: { type: string; payload: unknown }, manifests: Doc<"flowManifests">[]): EventPlan {
  const plan: EventPlan = { runs: [], skipped: [] };
  for (const manifest of manifests) {
    for (const step of manifest.steps) {
      const reason = verdict(step, event.type, event.payload);
      if (reason === undefined) {
        plan.runs.push({ flow: manifest.name, step: step.name, runner: step.runner, maxAttempts: step.retries + 1 });
      } else {
        plan.skipped.push({ flow: manifest.name, step: step.name, reason });
      }
    }
  }
  return plan;
}
