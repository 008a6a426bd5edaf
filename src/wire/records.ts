// The records the backend's API shows (camelCase, ISO times): what the client, the worker and the service share.
import type { FlowEvent, FlowResult, SkippedStep } from "../core/types.js";

/** Process status of a run; the step's own FLOW_RESULT status is kept beside it as `resultStatus`. */
export type RunStatus = "queued" | "running" | "completed" | "failed" | "canceled";
export const RUN_STATUSES: readonly RunStatus[] = ["queued", "running", "completed", "failed", "canceled"];
export const FINISHED_STATUSES: readonly RunStatus[] = ["completed", "failed", "canceled"];

export type AttemptStatus = "running" | "completed" | "failed" | "canceled" | "interrupted";

export interface EventRecord {
  id: string;
  type: string;
  source: string | null;
  receivedAt: string;
  acceptedAt: string;
  matched: number;
  skipped: SkippedStep[];
  parentEventId: string | null;
  depth: number;
  replays: number;
  event: FlowEvent;
}

export interface RunRecord {
  id: string;
  eventId: string;
  flow: string;
  step: string;
  /** The step's runner when the run was queued (null for runs stored before codex-flows recorded it). */
  runner: string | null;
  /** 0 for the run created when the event was accepted; n for the n-th replay. */
  replay: number;
  status: RunStatus;
  resultStatus: string | null;
  result: FlowResult | null;
  error: string | null;
  attemptCount: number;
  maxAttempts: number;
  cancelRequested: boolean;
  createdAt: string;
  availableAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export interface AttemptRecord {
  id: number;
  number: number;
  workerId: string;
  status: AttemptStatus;
  error: string | null;
  leaseExpiresAt: string;
  heartbeatAt: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface OutputChunk {
  seq: number;
  attempt: number;
  stream: string;
  text: string;
  at: string;
}

/** A run with everything `GET /runs/<id>` shows. */
export interface RunDetail extends RunRecord {
  attempts: AttemptRecord[];
  output: OutputChunk[];
}
