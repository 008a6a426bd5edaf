// A run's state in brief (status, current attempt and its worker): what the live feeds announce.
import type { RunStatus } from "../wire/records.js";
import { type Database, statement } from "./sqlite.js";

export interface RunState {
  id: string;
  eventId: string;
  flow: string;
  step: string;
  status: RunStatus;
  /** The number of its latest attempt; 0 before the first one starts. */
  attempt: number;
  /** The worker of its latest attempt, null before the first one starts. */
  workerId: string | null;
  result: unknown;
  error: string | null;
}

interface Row {
  id: string;
  event_id: string;
  flow: string;
  step: string;
  status: RunStatus;
  attempt_count: number;
  result: string | null;
  error: string | null;
  worker_id: string | null;
}

export function runState(db: Database, runId: string): RunState | undefined {
  const row = statement(
    db,
    `SELECT runs.id, runs.event_id, runs.flow, runs.step, runs.status, runs.attempt_count, runs.result, runs.error,
        (SELECT worker_id FROM attempts WHERE attempts.run_id = runs.id ORDER BY number DESC LIMIT 1) AS worker_id
      FROM runs WHERE runs.id = ?`,
  ).get(runId) as Row | undefined;
  if (!row) return undefined;
  return {
    id: row.id,
    eventId: row.event_id,
    flow: row.flow,
    step: row.step,
    status: row.status,
    attempt: row.attempt_count,
    workerId: row.worker_id,
    result: row.result === null ? null : JSON.parse(row.result),
    error: row.error,
  };
}
