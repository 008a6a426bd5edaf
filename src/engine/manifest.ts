// Loading one flow folder: parse flow.toml, validate it against schemas/flow.schema.json, resolve and check paths.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import parseToml from "@iarna/toml/parse-string.js";
import type { ErrorObject } from "ajv";
import flowSchema from "../../schemas/flow.schema.json";
import { nearName } from "../core/near-name.js";
import type { DiscoveryProblem, FlowDefinition, FlowManifest, FlowSource, StepDefinition } from "../core/types.js";
import { contractProblemsDetailed } from "../schema/contracts.js";
import { FlowPathChecker } from "./flow-paths.js";
import { checkSchedules } from "./schedules.js";

export const MANIFEST_FILE = "flow.toml";
export const DEFAULT_TIMEOUT_MS = 300_000;

/** One problem in one manifest: the file, the field (dotted path) and what is wrong with it. */
export type ManifestProblem = DiscoveryProblem;

export type LoadedFlow =
  /** `warnings`: problems that do not stop the flow loading (a missing script, under `scriptsOptional`). */
  | { ok: true; flow: FlowDefinition; warnings?: ManifestProblem[] }
  /** `name` is set when the manifest got far enough to say it, so precedence can still apply. */
  | { ok: false; problems: ManifestProblem[]; name?: string };

/** A flow.toml that passed schema validation (the type is generated from schemas/flow.schema.json). */
type RawManifest = FlowManifest;
type RawStep = FlowManifest["steps"][number];

/** `/steps/0/timeout_ms` -> `steps[0].timeout_ms`; the missing property is appended for `required`. */
function fieldOf(error: ErrorObject): string {
  const parts = error.instancePath.split("/").slice(1);
  if (error.keyword === "required") parts.push(String(error.params.missingProperty));
  if (error.keyword === "additionalProperties") parts.push(String(error.params.additionalProperty));
  return parts.reduce(
    (field, part) => (/^\d+$/.test(part) ? `${field}[${part}]` : field ? `${field}.${part}` : part),
    "",
  );
}

/** The fields the manifest schema allows where an `additionalProperties` error was raised. */
function knownFields(schemaPath: string): string[] {
  // `#/properties/steps/items/additionalProperties` -> the `properties` of `#/properties/steps/items`.
  let node: unknown = flowSchema;
  for (const part of schemaPath.split("/").slice(1, -1)) node = (node as Record<string, unknown> | undefined)?.[part];
  const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

function messageOf(error: ErrorObject): string {
  switch (error.keyword) {
    case "required":
      return "is required";
    case "additionalProperties": {
      const near = nearName(String(error.params.additionalProperty), knownFields(error.schemaPath));
      return near ? `is not a known field (did you mean "${near}"?)` : "is not a known field";
    }
    case "minimum":
    case "maximum":
    case "type":
      if (error.instancePath.endsWith("/timeout_ms")) {
        return "must be a positive integer of milliseconds, at most 2147483647 (about 24.8 days)";
      }
      return error.message ?? "is invalid";
    case "pattern":
      // Runner names become package names (codex-flows-runner-<name>), so they allow fewer characters.
      if (error.instancePath.endsWith("/runner")) return "must use lower-case letters, digits and '-'";
      return "must use lower-case letters, digits, '.', '_' and '-'";
    case "enum":
      return `must be one of ${(error.params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
    default:
      return error.message ?? "is invalid";
  }
}

export interface LoadOptions {
  /**
   * A script that does not exist yet is a warning, not a problem: codegen depends on manifests and schemas
   * only, and the natural order is flow.toml, schema, codegen, then the script typed by what codegen wrote.
   */
  scriptsOptional?: boolean;
}

function toStep(root: string, paths: FlowPathChecker, step: RawStep): StepDefinition {
  return {
    name: step.name,
    runner: step.runner,
    script: paths.resolve(step.script),
    cwd: step.cwd === undefined ? root : paths.resolve(step.cwd),
    timeoutMs: step.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    retries: step.retries ?? 0,
    trigger: {
      type: step.trigger.type,
      ...(step.trigger.schema === undefined ? {} : { schema: paths.resolve(step.trigger.schema) }),
    },
  };
}

/**
 * What identifies a version of a flow between machines: a hash of its flow.toml as written. A worker
 * compares it with the control plane's before running a claimed step, so it never runs other code.
 */
export function manifestHash(text: string): string {
  return `sha256:${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
}

/** A manifest's text and what parsing and checking it gave, by path: the same text gives the same answer. */
interface ParsedManifest {
  text: string;
  loaded: Extract<LoadedFlow, { ok: false }> | { ok: true; manifest: RawManifest; hash: string };
}
const parsedByPath = new Map<string, ParsedManifest>();
/** One options object for every read (a string is copied into a new one per call). */
const UTF8 = { encoding: "utf8" } as const;

/**
 * Loads `<root>/flow.toml`. Never throws for a bad manifest: every problem comes back with its file and field.
 * The file is read every time, and its paths checked every time (a schema folder's listing is reused
 * while the folder's lstat is unchanged, src/engine/folder-listings.ts); only the TOML parse and the
 * schema check are kept per path while the text is the same (a third of discovering 1,000 flows, bench P6).
 */
export function loadFlow(root: string, source: FlowSource, options: LoadOptions = {}): LoadedFlow {
  const manifestPath = join(root, MANIFEST_FILE);
  let text: string;
  try {
    text = readFileSync(manifestPath, UTF8);
  } catch {
    return { ok: false, problems: [{ path: manifestPath, message: "no flow.toml in this flow folder" }] };
  }
  let parsed = parsedByPath.get(manifestPath);
  if (parsed?.text !== text) {
    parsed = { text, loaded: parseManifest(manifestPath, text) };
    parsedByPath.set(manifestPath, parsed);
  }
  if (!("manifest" in parsed.loaded)) return { ...parsed.loaded, problems: [...parsed.loaded.problems] };
  return checkManifest(root, source, options, manifestPath, parsed.loaded.manifest, parsed.loaded.hash);
}

function parseManifest(manifestPath: string, text: string): ParsedManifest["loaded"] {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    const { line, col } = error as { line?: number; col?: number };
    const at = line === undefined ? {} : { line: line + 1, column: (col ?? 0) + 1 };
    const reason = ((error as Error).message.split("\n")[0] ?? "").replace(/ at row \d+, col \d+, pos \d+:?$/, "");
    return { ok: false, problems: [{ path: manifestPath, ...at, message: `TOML syntax error: ${reason}` }] };
  }

  const schemaErrors = contractProblemsDetailed("manifest", raw);
  if (schemaErrors.length > 0) {
    // `required` and `additionalProperties` errors repeat per branch; keep one line per field and message.
    const seen = new Set<string>();
    const problems: ManifestProblem[] = [];
    for (const error of schemaErrors) {
      const problem = { path: manifestPath, field: fieldOf(error), message: messageOf(error) };
      const key = `${problem.field} ${problem.message}`;
      if (!seen.has(key)) problems.push(problem);
      seen.add(key);
    }
    const name = (raw as { name?: unknown }).name;
    return { ok: false, problems, ...(typeof name === "string" ? { name } : {}) };
  }
  return { ok: true, manifest: raw as RawManifest, hash: manifestHash(text) };
}

function checkManifest(
  root: string,
  source: FlowSource,
  options: LoadOptions,
  manifestPath: string,
  manifest: RawManifest,
  hash: string,
): LoadedFlow {
  const problems: ManifestProblem[] = [];
  const missingScripts: ManifestProblem[] = [];
  const paths = new FlowPathChecker(root, manifestPath);
  const stepNames = new Map<string, number>();
  manifest.steps.forEach((step, index) => {
    const first = stepNames.get(step.name);
    if (first !== undefined) {
      problems.push({
        path: manifestPath,
        field: `steps[${index}].name`,
        message: `duplicate step name "${step.name}" (also steps[${first}])`,
      });
    } else {
      stepNames.set(step.name, index);
    }
    paths.check(step, index, problems, missingScripts);
  });
  if (!options.scriptsOptional) problems.push(...missingScripts);
  // The manifest is kept for the next discovery: what a flow shares with it (the config table, the
  // schedules' payloads) is a copy, so callers own what they get. Copying the whole manifest was a
  // sixth of discovering 1,000 flows (bench P6).
  const schedules = checkSchedules(manifest.schedules && structuredClone(manifest.schedules), manifestPath, problems);
  if (problems.length > 0) return { ok: false, problems, name: manifest.name };

  return {
    ok: true,
    flow: {
      name: manifest.name,
      version: manifest.version ?? 0,
      description: manifest.description ?? "",
      root,
      manifestPath,
      manifestHash: hash,
      source,
      config: manifest.config === undefined ? {} : structuredClone(manifest.config),
      schedules,
      steps: manifest.steps.map((step) => toStep(root, paths, step)),
    },
    ...(missingScripts.length > 0 && options.scriptsOptional ? { warnings: missingScripts } : {}),
  };
}
