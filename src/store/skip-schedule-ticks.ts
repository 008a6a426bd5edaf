// catch_up = "none" (or a capped "all"): marks a schedule's missed ticks up to a time as dealt with, unfired.
import { type Database, statement } from "./sqlite.js";

/** Ticks of `flow/name` at or before `through` (ms) are not fired later, whatever catch_up says then. */
export function skipScheduleTicks(db: Database, flow: string, name: string, through: number): void {
  statement(db, "UPDATE schedule_state SET checked_through = max(checked_through, ?) WHERE flow = ? AND name = ?").run(
    through,
    flow,
    name,
  );
}
