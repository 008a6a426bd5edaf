// The shapes that cross module boundaries: events, manifests, run contexts, results and runs.

export type FlowStatus = "skipped" | "completed" | "changed" | "needs_intervention" | "blocked" | "failed";

export const FLOW_STATUSES: readonly FlowStatus[] = [
  "skipped",
  "completed",
  "changed",
  "needs_intervention",
  "blocked",
  "failed",
];

export interface FlowEvent<T = unknown> {
  id: string;
  type: string;
  source?: string;
  occurredAt?: string;
  receivedAt: string;
  payload: T;
  [extra: string]: unknown;
}

/** An event a step asks the engine to fire next; id and receivedAt are filled in. */
export interface NextEvent<T = unknown> {
  id?: string;
  type: string;
  source?: string;
  occurredAt?: string;
  payload?: T;
  [extra: string]: unknown;
}

export interface FlowResult {
  status: FlowStatus;
  message?: string;
  artifacts?: Record<string, unknown>;
  next?: NextEvent[];
  [extra: string]: unknown;
}

export type FlowConfig = Record<string, unknown>;

export interface RunContext<E extends FlowEvent = FlowEvent, C extends FlowConfig = FlowConfig> {
  flow: {
    name: string;
    version: number | string;
    root: string;
    step: string;
    config: C;
    event: E;
  };
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

export interface FlowDefinition {
  name: string;
  version: number | string;
  description: string;
  /** Absolute path of the flow folder. */
  root: string;
  /** Absolute path of flow.toml. */
  manifestPath: string;
  source: FlowSource;
  config: FlowConfig;
  steps: StepDefinition[];
}

/** A problem found while discovering flows; the flow it concerns is left out, the others still load. */
export interface DiscoveryProblem {
  /** The file (flow.toml, with :line:col for syntax errors) or folder concerned. */
  path: string;
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
  reason: string;
}
