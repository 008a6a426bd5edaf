// SQLite rows of the store's tables, and the mappers that turn them into the wire records.
import type { FlowEvent, FlowResult, SkippedStep } from "../core/types.js";
import type { AttemptRecord, AttemptStatus, EventRecord, RunRecord, RunStatus } from "../wire/records.js";

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export interface EventRow {
  id: string;
  type: string;
  source: string | null;
  received_at: string;
  accepted_at: number;
  body: string;
  matched: number;
  skipped: string;
  parent_event_id: string | null;
  depth: number;
  replays: number;
}

export function eventRecord(row: EventRow): EventRecord {
  return {
    id: row.id,
    type: row.type,
    source: row.source,
    receivedAt: row.received_at,
    acceptedAt: iso(row.accepted_at),
    matched: row.matched,
    skipped: JSON.parse(row.skipped) as SkippedStep[],
    parentEventId: row.parent_event_id,
    depth: row.depth,
    replays: row.replays,
    event: JSON.parse(row.body) as FlowEvent,
  };
}

export interface RunRow {
  id: string;
  event_id: string;
  flow: string;
  step: string;
  runner: string | null;
  replay: number;
  status: RunStatus;
  result_status: string | null;
  result: string | null;
  error: string | null;
  attempt_count: number;
  max_attempts: number;
  available_at: number;
  cancel_requested: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
}

export function runRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    eventId: row.event_id,
    flow: row.flow,
    step: row.step,
    runner: row.runner,
    replay: row.replay,
    status: row.status,
    resultStatus: row.result_status,
    result: row.result === null ? null : (JSON.parse(row.result) as FlowResult),
    error: row.error,
    attemptCount: row.attempt_count,
    maxAttempts: row.max_attempts,
    cancelRequested: row.cancel_requested === 1,
    createdAt: iso(row.created_at),
    availableAt: iso(row.available_at),
    startedAt: isoOrNull(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
    updatedAt: iso(row.updated_at),
  };
}

export interface AttemptRow {
  id: number;
  number: number;
  worker_id: string;
  status: AttemptStatus;
  error: string | null;
  lease_expires_at: number;
  heartbeat_at: number;
  started_at: number;
  finished_at: number | null;
}

export function attemptRecord(row: AttemptRow): AttemptRecord {
  return {
    id: row.id,
    number: row.number,
    workerId: row.worker_id,
    status: row.status,
    error: row.error,
    leaseExpiresAt: iso(row.lease_expires_at),
    heartbeatAt: iso(row.heartbeat_at),
    startedAt: iso(row.started_at),
    finishedAt: isoOrNull(row.finished_at),
  };
}
