// The first sight of a schedule: records it as checked through now, so ticks before it are never caught up.
import { type ScheduleState, type ScheduleStateRow, toScheduleState } from "./schedule-state.js";
import { type Database, statement } from "./sqlite.js";

/** Records `flow/name` as seen at `now` unless it already was; returns its state either way. */
export function noteSchedule(db: Database, flow: string, name: string, now: number): ScheduleState {
  statement(
    db,
    "INSERT INTO schedule_state (flow, name, checked_through) VALUES (?, ?, ?) ON CONFLICT (flow, name) DO NOTHING",
  ).run(flow, name, now);
  const row = statement(db, "SELECT * FROM schedule_state WHERE flow = ? AND name = ?").get(flow, name);
  return toScheduleState(row as ScheduleStateRow);
}
