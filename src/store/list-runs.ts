// Listing runs, newest first, filtered by event, flow, process status and the step's FLOW_RESULT status, a page at a time.
import type { RunRecord, RunStatus } from "../wire/records.js";
import { FIRST_PAGE, pageOf } from "./page-cursor.js";
import { type RunRow, runRecord } from "./rows.js";
import { type Database, statement } from "./sqlite.js";

export interface ListRunsQuery {
  limit: number;
  eventId?: string;
  status?: RunStatus;
  /** The FLOW_RESULT status (`blocked`, `needs_intervention`, ...). */
  resultStatus?: string;
  flow?: string;
  /** Only runs older than this seq (a decoded `?cursor=`); the first page when absent. */
  before?: number;
}

export interface RunsPage {
  runs: RunRecord[];
  /** The cursor of the next (older) page, or null on the last one. */
  next: string | null;
}

export const RUN_COLUMNS = `id, event_id, flow, step, runner, replay, status, result_status, result, error, attempt_count,
  max_attempts, available_at, cancel_requested, created_at, started_at, finished_at, updated_at`;

/*
 * Each filter has an index ending in seq (runs_event, runs_status, runs_flow, runs_result), so with
 * one filter the page is one range read backwards along it; with several, SQLite walks one of them
 * and checks the rest (EXPLAIN QUERY PLAN in test/backend-pages.test.ts keeps this true).
 */
export function listRunsPage(db: Database, query: ListRunsQuery): RunsPage {
  const where: string[] = ["seq < ?"];
  const values: unknown[] = [query.before ?? FIRST_PAGE];
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
  const rows = statement(
    db,
    `SELECT seq, ${RUN_COLUMNS} FROM runs WHERE ${where.join(" AND ")} ORDER BY seq DESC LIMIT ?`,
  ).all(...values, query.limit + 1) as (RunRow & { seq: number })[];
  const page = pageOf(rows, query.limit);
  return { runs: page.rows.map(runRecord), next: page.next };
}

export function listRuns(db: Database, query: ListRunsQuery): RunRecord[] {
  return listRunsPage(db, query).runs;
}

/** The runs of one event in the order they were created (dispatch first, then each replay). */
export function runsOfEvent(db: Database, eventId: string): RunRecord[] {
  const rows = statement(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE event_id = ? ORDER BY seq`).all(
    eventId,
  ) as RunRow[];
  return rows.map(runRecord);
}
