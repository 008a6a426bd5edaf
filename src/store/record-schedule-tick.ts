// After a tick's event was accepted: records it as the schedule's last fire (times only move forward).
import { type Database, statement } from "./sqlite.js";

/**
 * Records that `flow/name` fired the tick at `tickAt` as event `eventId`. Called after the event is
 * committed: a crash in between leaves the older tick recorded, and the restart's catch-up fires this
 * tick again under the same id, which the intake answers as a duplicate.
 */
export function recordScheduleTick(
  db: Database,
  tick: { flow: string; name: string; tickAt: number; eventId: string; firedAt: number },
): void {
  statement(
    db,
    `INSERT INTO schedule_state (flow, name, checked_through, last_tick_at, last_fired_at, last_event_id)
     VALUES (@flow, @name, @tickAt, @tickAt, @firedAt, @eventId)
     ON CONFLICT (flow, name) DO UPDATE SET
       checked_through = max(checked_through, excluded.checked_through),
       last_tick_at = excluded.last_tick_at, last_fired_at = excluded.last_fired_at, last_event_id = excluded.last_event_id
     WHERE last_tick_at IS NULL OR last_tick_at < excluded.last_tick_at`,
  ).run(tick);
}
