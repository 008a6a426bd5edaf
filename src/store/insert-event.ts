// Accepting an event: the event row and one queued run per matching step, committed together, idempotent by id.
import type { FlowEvent, SkippedStep } from "../core/types.js";
import { runIdFor } from "./ids.js";
import { type Database, statement } from "./sqlite.js";

/** A step that matched and gets a run; `maxAttempts` is the step's `retries` + 1. */
export interface PlannedRun {
  flow: string;
  step: string;
  maxAttempts: number;
  /** The step's runner: a worker claims only runs of runners it has. */
  runner: string;
}

export interface InsertEventInput {
  event: FlowEvent;
  runs: PlannedRun[];
  skipped: SkippedStep[];
  /** How many `next` hops led to this event (0 for an event posted from outside). */
  depth?: number;
  now: number;
}

export interface InsertEventOutcome {
  status: "accepted" | "duplicate";
  eventId: string;
  runIds: string[];
}

const INSERT_EVENT = `INSERT INTO events (id, type, source, received_at, accepted_at, body, matched, skipped, parent_event_id, depth)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`;

const INSERT_RUN = `INSERT INTO runs (id, event_id, flow, step, runner, replay, status, max_attempts, available_at, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`;

/** Inserts queued runs for `eventId` (shared with replays, which pass their replay number). */
export function insertRuns(db: Database, eventId: string, runs: PlannedRun[], replay: number, now: number): string[] {
  const insert = statement(db, INSERT_RUN);
  return runs.map((run) => {
    const id = runIdFor(eventId, run.flow, run.step, replay);
    insert.run(id, eventId, run.flow, run.step, run.runner, replay, run.maxAttempts, now, now, now);
    return id;
  });
}

/**
 * Stores the event and its queued runs in one transaction (a savepoint when the caller batches
 * several events into one commit). A second event with the same id changes nothing and gets the
 * run ids the first one created.
 */
export function insertEvent(db: Database, input: InsertEventInput): InsertEventOutcome {
  return db.transaction(() => insertEventRows(db, input))();
}

/** What insertEvent does, inside the caller's transaction (which rolls back as a whole if this throws). */
export function insertEventRows(db: Database, input: InsertEventInput): InsertEventOutcome {
  const { event, now } = input;
  const parent = typeof event.parentEventId === "string" ? event.parentEventId : null;
  const inserted = statement(db, INSERT_EVENT).run(
    event.id,
    event.type,
    typeof event.source === "string" ? event.source : null,
    event.receivedAt,
    now,
    JSON.stringify(event),
    input.runs.length,
    JSON.stringify(input.skipped),
    parent,
    input.depth ?? 0,
  );
  if (inserted.changes === 0) {
    const rows = statement(db, "SELECT id FROM runs WHERE event_id = ? AND replay = 0 ORDER BY seq").all(event.id) as {
      id: string;
    }[];
    return { status: "duplicate", eventId: event.id, runIds: rows.map((row) => row.id) };
  }
  return { status: "accepted", eventId: event.id, runIds: insertRuns(db, event.id, input.runs, 0, now) };
}
