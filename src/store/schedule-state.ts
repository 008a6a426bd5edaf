// Reading the schedules' persisted state: through when their ticks are dealt with, and which tick each last fired.
import { type Database, statement } from "./sqlite.js";

export interface ScheduleState {
  flow: string;
  name: string;
  /** Ms since the epoch: ticks at or before this were fired or skipped (or came before the schedule was first seen). */
  checkedThrough: number;
  /** The newest tick fired (its scheduled time, ms), or null before the first. */
  lastTickAt: number | null;
  /** When that tick was fired (ms). */
  lastFiredAt: number | null;
  lastEventId: string | null;
}

export interface ScheduleStateRow {
  flow: string;
  name: string;
  checked_through: number;
  last_tick_at: number | null;
  last_fired_at: number | null;
  last_event_id: string | null;
}

export const toScheduleState = (row: ScheduleStateRow): ScheduleState => ({
  flow: row.flow,
  name: row.name,
  checkedThrough: row.checked_through,
  lastTickAt: row.last_tick_at,
  lastFiredAt: row.last_fired_at,
  lastEventId: row.last_event_id,
});

/** Every schedule's state, keyed `<flow>/<name>`. */
export function listScheduleStates(db: Database): Map<string, ScheduleState> {
  const rows = statement(db, "SELECT * FROM schedule_state").all() as ScheduleStateRow[];
  return new Map(rows.map((row) => [`${row.flow}/${row.name}`, toScheduleState(row)]));
}
