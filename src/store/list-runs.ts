// Listing runs, newest first, filtered by event, flow, process status and the step's FLOW_RESULT status.
import type { RunRecord, RunStatus } from "../wire/records.js";
import { type RunRow, runRecord } from "./rows.js";
import { type Database, statement } from "./sqlite.js";

export interface ListRunsQuery {
  limit: number;
  eventId?: string;
  status?: RunStatus;
  /** The FLOW_RESULT status (`blocked`, `needs_intervention`, ...). */
  resultStatus?: string;
  flow?: string;
}

export const RUN_COLUMNS = `id, event_id, flow, step, runner, replay, status, result_status, result, error, attempt_count,
  max_attempts, available_at, cancel_requested, created_at, started_at, finished_at, updated_at`;

export function listRuns(db: Database, query: ListRunsQuery): RunRecord[] {
  const where: string[] = [];
  const values: unknown[] = [];
  if (query.eventId !== undefined) {
    where.push("event_id = ?");
    values.push(query.eventId);
  }
  if (query.status !== undefined) {
    where.push("status = ?");
    values.push(query.status);
  }
  if (query.flow !== undefined) {
    where.push("flow = ?");
    values.push(query.flow);
  }
  if (query.resultStatus !== undefined) {
    where.push("result_status = ?");
    values.push(query.resultStatus);
  }
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const rows = statement(db, `SELECT ${RUN_COLUMNS} FROM runs ${filter} ORDER BY seq DESC LIMIT ?`).all(
    ...values,
    query.limit,
  ) as RunRow[];
  return rows.map(runRecord);
}

/** The runs of one event in the order they were created (dispatch first, then each replay). */
export function runsOfEvent(db: Database, eventId: string): RunRecord[] {
  const rows = statement(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE event_id = ? ORDER BY seq`).all(
    eventId,
  ) as RunRow[];
  return rows.map(runRecord);
}
