// The shapes that cross module boundaries: events, manifests, run contexts, results and runs.
import type * as Contracts from "./contracts.gen.js";

/** A step's outcome; from schemas/flow-result.schema.json. */
export type FlowStatus = Contracts.FlowResult["status"];

export const FLOW_STATUSES = [
  "skipped",
  "completed",
  "changed",
  "needs_intervention",
  "blocked",
  "failed",
] as const satisfies readonly FlowStatus[];

// A compile error here means the schema has a status this list lacks.
true satisfies [Exclude<FlowStatus, (typeof FLOW_STATUSES)[number]>] extends [never] ? true : false;

/** The event every step receives (schemas/flow-event.schema.json), with its payload typed as `T`. */
export interface FlowEvent<T = unknown> extends Contracts.FlowEvent {
  payload: T;
}

type ContractNextEvent = NonNullable<Contracts.FlowResult["next"]>[number];

/** An event a step asks the engine to fire next; id and receivedAt are filled in. */
export interface NextEvent<T = unknown> extends ContractNextEvent {
  payload?: T;
}

/** What a step reports on its `FLOW_RESULT` line (schemas/flow-result.schema.json). */
export type FlowResult = Contracts.FlowResult;

/** The flow.toml manifest as written (schemas/flow.schema.json), before paths are resolved. */
export type FlowManifest = Contracts.FlowManifest;

export type FlowConfig = Contracts.RunContext["flow"]["config"];

/** The run context's `flow` object (schemas/run-context.schema.json), with the event and config typed. */
export interface RunContextFlow<E extends FlowEvent = FlowEvent, C extends object = FlowConfig>
  extends Omit<Contracts.RunContext["flow"], "event" | "config"> {
  config: C;
  event: E;
}

/** What a runner hands a step: for `bun`, the JSON on stdin. Codegen gives each step its own `<Step>Context`. */
export interface RunContext<E extends FlowEvent = FlowEvent, C extends object = FlowConfig> {
  flow: RunContextFlow<E, C>;
}

/** Where a flow was discovered; the `.codex/flows` copy of a flow wins over `flows`. */
export type FlowSource = ".codex/flows" | "flows";

export interface StepTrigger {
  type: string;
  /** Absolute path of the payload JSON Schema, when the step has one. */
  schema?: string;
}

export interface StepDefinition {
  name: string;
  runner: string;
  /** Absolute path of the step script. */
  script: string;
  /** Absolute working directory (default the flow root). */
  cwd: string;
  timeoutMs: number;
  retries: number;
  trigger: StepTrigger;
}

/** What to do with ticks that passed while the backend was down (`catch_up` in flow.toml). */
export type ScheduleCatchUp = "latest" | "none" | "all";

/** A `[[schedules]]` entry of flow.toml, checked: its cron expression and timezone parse. */
export interface ScheduleDefinition {
  name: string;
  cron: string;
  /** IANA name; "UTC" when flow.toml gives none. */
  timezone: string;
  catchUp: ScheduleCatchUp;
  event: { type: string; payload: unknown };
}

export interface FlowDefinition {
  name: string;
  version: number | string;
  description: string;
  /** Absolute path of the flow folder. */
  root: string;
  /** Absolute path of flow.toml. */
  manifestPath: string;
  /** `sha256:<16 hex>` of flow.toml's text: the flow's version as workers and the control plane compare it. */
  manifestHash: string;
  source: FlowSource;
  config: FlowConfig;
  /** Clock triggers, fired by `backend serve` only (in-process `fire` and `run` ignore them). */
  schedules: ScheduleDefinition[];
  steps: StepDefinition[];
}

/** A problem found while discovering flows; the flow it concerns is left out, the others still load. */
export interface DiscoveryProblem {
  /** The file (flow.toml, a schema) or folder concerned. */
  path: string;
  /** 1-based position in the file, for syntax errors. */
  line?: number;
  column?: number;
  /** The manifest field, dotted (`steps[0].timeout_ms`), when the problem is one field. */
  field?: string;
  message: string;
}

/** A `flows/` flow hidden by the same-named flow in `.codex/flows` (a notice, not an error). */
export interface ShadowedFlow {
  name: string;
  path: string;
  shadowedBy: string;
}

export interface StepRun {
  eventId: string;
  /** Set on runs fired by another step's `next`. */
  parentEventId?: string;
  flow: string;
  step: string;
  status: FlowStatus;
  result: FlowResult;
  durationMs: number;
}

export interface SkippedStep {
  flow: string;
  step: string;
  /** One line: for an invalid payload its first few errors (of the fitting `oneOf` branch) and a count. */
  reason: string;
  /** Every schema error of an invalid payload, `"/path: message"` each (`fire --verbose`, `--json`). */
  errors?: string[];
}
