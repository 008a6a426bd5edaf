// Matching an event to the synced steps inside the component: type first, then the payload schema.
import { type OutputUnit, type SchemaDraft, Validator } from "@cfworker/json-schema";
import type { Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
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

/**
 * Validators built in this isolate, by schema text. Not Ajv: Ajv compiles a schema into code with
 * `new Function`, which the edge runtime Convex stands on refuses; this validator interprets the
 * schema. test/convex-validators.test.ts checks that both give the same verdicts on the project's schemas.
 */
const validators = new Map<string, Validator>();

function draftOf(schema: unknown): SchemaDraft {
  const declared = String((schema as { $schema?: unknown } | null)?.$schema ?? "");
  if (declared.includes("2020-12")) return "2020-12";
  if (declared.includes("2019-09")) return "2019-09";
  if (declared.includes("draft-04")) return "4";
  return "7"; // Ajv's default draft, as in the local backend
}

/** Where a schema's relative `$ref`s lead: the files synced with it (src/convex/schema-bundle.ts). */
export interface SchemaRefs {
  /** The schema's own URL, when it has no `$id`. */
  url?: string;
  files?: { url: string; text: string }[];
}

/** The document with `url` as its `$id` unless it has one, as the local backend compiles it. */
function withId(schema: unknown, url: string | undefined): unknown {
  if (url === undefined || typeof schema !== "object" || schema === null || "$id" in schema) return schema;
  return { ...schema, $id: url };
}

export function payloadValidator(text: string, refs: SchemaRefs = {}): Validator {
  const key = refs.url === undefined && !refs.files?.length ? text : JSON.stringify([text, refs.url, refs.files]);
  const known = validators.get(key);
  if (known) return known;
  const schema = withId(JSON.parse(text), refs.url);
  const draft = draftOf(schema);
  const validator = new Validator(schema as never, draft, false);
  for (const file of refs.files ?? []) {
    const document = JSON.parse(file.text) as unknown;
    // As locally, where each draft family has its own Ajv: a file of the other family is not reachable.
    if ((draftOf(document) === "2020-12") !== (draft === "2020-12")) continue;
    if (typeof document === "object" && document !== null) validator.addSchema(withId(document, file.url) as never);
  }
  validators.set(key, validator);
  return validator;
}

/** The errors nothing else explains: a `properties` error is dropped when its property's own is listed. */
function leafErrors(errors: OutputUnit[]): OutputUnit[] {
  const leaves = errors.filter(
    (error) => !errors.some((other) => other.keywordLocation.startsWith(`${error.keywordLocation}/`)),
  );
  // "False boolean schema" only repeats an additionalProperties error in the validator's own words.
  const plain = leaves.filter((error) => error.keyword !== "false");
  return plain.length > 0 ? plain : leaves;
}

/** One line, like the local backend's: `payload invalid at /path: message; ... (N more)`. */
export function rejectionReason(errors: OutputUnit[]): string {
  const leaves = leafErrors(errors);
  const shown = leaves.slice(0, 3).map((error) => `${error.instanceLocation.replace(/^#/, "") || "/"}: ${error.error}`);
  const more = leaves.length > 3 ? ` (${leaves.length - 3} more)` : "";
  return `payload invalid at ${shown.join("; ")}${more}`;
}

function verdict(step: SyncedStep, type: string, payload: unknown): string | undefined {
  if (step.triggerType !== type) return `type differs: event is "${type}", step wants "${step.triggerType}"`;
  if (step.schema === undefined) return undefined;
  let validator: Validator;
  try {
    validator = payloadValidator(step.schema, { url: step.schemaUrl, files: step.schemaFiles });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `schema error: ${message}`;
  }
  const result = validator.validate(payload);
  return result.valid ? undefined : rejectionReason(result.errors);
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
