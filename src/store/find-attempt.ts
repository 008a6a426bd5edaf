// An open attempt by id and lease token, with what completing it needs (its run and event).
import type { FlowEvent } from "../core/types.js";
import { type Database, statement } from "./sqlite.js";

export interface OpenAttempt {
  attemptId: number;
  runId: string;
  eventId: string;
  flow: string;
  step: string;
  replay: number;
  workerId: string;
  event: FlowEvent;
  eventDepth: number;
}

interface Row {
  run_id: string;
  event_id: string;
  flow: string;
  step: string;
  replay: number;
  worker_id: string;
  body: string;
  depth: number;
}

/** Undefined when the token does not hold an open attempt of that id. */
export function findOpenAttempt(db: Database, attemptId: number, leaseToken: string): OpenAttempt | undefined {
  const row = statement(
    db,
    `SELECT attempts.run_id, runs.event_id, runs.flow, runs.step, runs.replay, attempts.worker_id, events.body, events.depth
      FROM attempts JOIN runs ON runs.id = attempts.run_id JOIN events ON events.id = runs.event_id
      WHERE attempts.id = ? AND attempts.lease_token = ? AND attempts.finished_at IS NULL`,
  ).get(attemptId, leaseToken) as Row | undefined;
  if (!row) return undefined;
  return {
    attemptId,
    runId: row.run_id,
    eventId: row.event_id,
    flow: row.flow,
    step: row.step,
    replay: row.replay,
    workerId: row.worker_id,
    event: JSON.parse(row.body) as FlowEvent,
    eventDepth: row.depth,
  };
}
