// One run with its attempts and stored output: what `GET /runs/<id>` shows.

import type { OutputChunk, RunDetail, RunRecord } from "../wire/records.js";
import { RUN_COLUMNS } from "./list-runs.js";
import { type AttemptRow, attemptRecord, type RunRow, runRecord } from "./rows.js";
import { type Database, statement } from "./sqlite.js";

/** The run alone (no attempts or output), or undefined. */
export function findRun(db: Database, id: string): RunRecord | undefined {
  const row = statement(db, `SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRow | undefined;
  return row && runRecord(row);
}

export function getRun(db: Database, id: string): RunDetail | undefined {
  const run = findRun(db, id);
  if (!run) return undefined;
  const attempts = statement(
    db,
    `SELECT id, number, worker_id, status, error, lease_expires_at, heartbeat_at, started_at, finished_at
      FROM attempts WHERE run_id = ? ORDER BY number`,
  ).all(id) as AttemptRow[];
  const output = statement(
    db,
    `SELECT output_chunks.id AS seq, attempts.number AS attempt, stream, text, at
      FROM output_chunks JOIN attempts ON attempts.id = output_chunks.attempt_id
      WHERE output_chunks.run_id = ? ORDER BY output_chunks.id`,
  ).all(id) as (Omit<OutputChunk, "at"> & { at: number })[];
  return {
    ...run,
    attempts: attempts.map(attemptRecord),
    output: output.map((chunk) => ({ ...chunk, at: new Date(chunk.at).toISOString() })),
  };
}
