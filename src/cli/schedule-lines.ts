// How `list` and `check` show a flow's schedules: cron, timezone, the event it fires and its next three fire times.
import type { FlowDefinition } from "../core/types.js";
import { nextTicks } from "../engine/schedules.js";

export interface ScheduleFacts {
  flow: string;
  name: string;
  cron: string;
  timezone: string;
  catchUp: string;
  eventType: string;
  /** The next three fire times (ISO 8601, UTC). */
  next: string[];
}

export function scheduleFacts(flow: FlowDefinition, now = new Date()): ScheduleFacts[] {
  return flow.schedules.map((schedule) => ({
    flow: flow.name,
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    catchUp: schedule.catchUp,
    eventType: schedule.event.type,
    next: nextTicks(schedule, now, 3).map((tick) => tick.toISOString()),
  }));
}

/** One line per schedule, indented like a flow's steps; `prefix` names the flow where the flow is not the heading. */
export function scheduleLines(flow: FlowDefinition, prefix = "  ", now = new Date()): string[] {
  return scheduleFacts(flow, now).map(
    (facts) =>
      `${prefix}schedule ${facts.name}  cron="${facts.cron}" ${facts.timezone}  fires ${facts.eventType}  next: ${facts.next.join(", ")}`,
  );
}
