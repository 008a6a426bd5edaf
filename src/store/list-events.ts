// Listing stored events, newest first, optionally of one type or fired by one parent event.
import type { EventRecord } from "../wire/records.js";
import { type EventRow, eventRecord } from "./rows.js";
import { type Database, statement } from "./sqlite.js";

export interface ListEventsQuery {
  limit: number;
  type?: string;
  /** Only the next events of this event (its steps' `next`). */
  parentEventId?: string;
}

const COLUMNS = "id, type, source, received_at, accepted_at, body, matched, skipped, parent_event_id, depth, replays";

export function listEvents(db: Database, query: ListEventsQuery): EventRecord[] {
  if (query.parentEventId !== undefined) {
    const rows = statement(
      db,
      `SELECT ${COLUMNS} FROM events WHERE parent_event_id = ? AND (? IS NULL OR type = ?) ORDER BY seq DESC LIMIT ?`,
    ).all(query.parentEventId, query.type ?? null, query.type ?? null, query.limit) as EventRow[];
    return rows.map(eventRecord);
  }
  const rows = (
    query.type === undefined
      ? statement(db, `SELECT ${COLUMNS} FROM events ORDER BY seq DESC LIMIT ?`).all(query.limit)
      : statement(db, `SELECT ${COLUMNS} FROM events WHERE type = ? ORDER BY seq DESC LIMIT ?`).all(
          query.type,
          query.limit,
        )
  ) as EventRow[];
  return rows.map(eventRecord);
}

/** One event by id, or undefined. */
export function findEvent(db: Database, id: string): EventRecord | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM events WHERE id = ?`).get(id) as EventRow | undefined;
  return row && eventRecord(row);
}
