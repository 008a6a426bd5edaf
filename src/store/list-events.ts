// Listing stored events, newest first, optionally of one type or fired by one parent event, a page at a time.
import type { EventRecord } from "../wire/records.js";
import { FIRST_PAGE, pageOf } from "./page-cursor.js";
import { type EventRow, eventRecord } from "./rows.js";
import { type Database, statement } from "./sqlite.js";

export interface ListEventsQuery {
  limit: number;
  type?: string;
  /** Only the next events of this event (its steps' `next`). */
  parentEventId?: string;
  /** Only events older than this seq (a decoded `?cursor=`); the first page when absent. */
  before?: number;
}

export interface EventsPage {
  events: EventRecord[];
  /** The cursor of the next (older) page, or null on the last one. */
  next: string | null;
}

const COLUMNS = "id, type, source, received_at, accepted_at, body, matched, skipped, parent_event_id, depth, replays";

/** Each shape is a backwards range read of one index: the primary key, events_type or events_parent. */
export function listEventsPage(db: Database, query: ListEventsQuery): EventsPage {
  const before = query.before ?? FIRST_PAGE;
  const fetch = query.limit + 1;
  let rows: (EventRow & { seq: number })[];
  if (query.parentEventId !== undefined) {
    rows = statement(
      db,
      `SELECT seq, ${COLUMNS} FROM events WHERE parent_event_id = ? AND seq < ? AND (? IS NULL OR type = ?) ORDER BY seq DESC LIMIT ?`,
    ).all(query.parentEventId, before, query.type ?? null, query.type ?? null, fetch) as typeof rows;
  } else if (query.type === undefined) {
    rows = statement(db, `SELECT seq, ${COLUMNS} FROM events WHERE seq < ? ORDER BY seq DESC LIMIT ?`).all(
      before,
      fetch,
    ) as typeof rows;
  } else {
    rows = statement(db, `SELECT seq, ${COLUMNS} FROM events WHERE type = ? AND seq < ? ORDER BY seq DESC LIMIT ?`).all(
      query.type,
      before,
      fetch,
    ) as typeof rows;
  }
  const page = pageOf(rows, query.limit);
  return { events: page.rows.map(eventRecord), next: page.next };
}

export function listEvents(db: Database, query: ListEventsQuery): EventRecord[] {
  return listEventsPage(db, query).events;
}

/** One event by id, or undefined. */
export function findEvent(db: Database, id: string): EventRecord | undefined {
  const row = statement(db, `SELECT ${COLUMNS} FROM events WHERE id = ?`).get(id) as EventRow | undefined;
  return row && eventRecord(row);
}
