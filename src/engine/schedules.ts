// flow.toml's [[schedules]]: checks each cron expression and timezone (with croner) and computes fire times.
import { createRequire } from "node:module";
import type { Cron } from "croner";
import type { DiscoveryProblem, FlowDefinition, FlowEvent, ScheduleDefinition } from "../core/types.js";

type RawSchedule = {
  name: string;
  cron: string;
  timezone?: string;
  catch_up?: ScheduleDefinition["catchUp"];
  event: { type: string; payload?: unknown };
};

/** `catch_up = "all"` fires at most this many missed ticks: a service down for a week on a per-minute cron would otherwise flood the queue. */
export const MAX_CATCH_UP = 100;

const require = createRequire(import.meta.url);
/** Loaded on first use: most flows have no schedules, and `codex-flows run` should not pay for croner (bench P2). */
let cronClass: typeof Cron | undefined;

/** The croner job for a schedule, never started: this project computes ticks and fires them itself. */
export function cronOf(schedule: Pick<ScheduleDefinition, "cron" | "timezone">): Cron {
  cronClass ??= (require("croner") as typeof import("croner")).Cron;
  return new cronClass(schedule.cron, { paused: true, mode: "5-or-6-parts", timezone: schedule.timezone });
}

function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return undefined;
  } catch {
    return `timezone "${timezone}" is not an IANA time zone name (e.g. "UTC", "Europe/Berlin", "America/New_York")`;
  }
}

function cronProblem(schedule: Pick<ScheduleDefinition, "cron" | "timezone">): string | undefined {
  const fields = schedule.cron.trim().split(/\s+/);
  if (!schedule.cron.trim().startsWith("@") && fields.length !== 5 && fields.length !== 6) {
    return `cron "${schedule.cron}" has ${fields.length} field(s); write 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`;
  }
  try {
    if (cronOf(schedule).nextRun() === null) return `cron "${schedule.cron}" never fires (no such date)`;
    return undefined;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, "");
    return `cron "${schedule.cron}" is not a valid cron expression: ${reason}`;
  }
}

/**
 * The checked schedules of one manifest, and a problem (file and field) for each bad one. Names must
 * be unique in the flow: with the flow's name they make the tick's event id.
 */
export function checkSchedules(
  raw: RawSchedule[] | undefined,
  manifestPath: string,
  problems: DiscoveryProblem[],
): ScheduleDefinition[] {
  const schedules: ScheduleDefinition[] = [];
  const names = new Map<string, number>();
  (raw ?? []).forEach((entry, index) => {
    const at = `schedules[${index}]`;
    const first = names.get(entry.name);
    if (first !== undefined) {
      const message = `duplicate schedule name "${entry.name}" (also schedules[${first}])`;
      problems.push({ path: manifestPath, field: `${at}.name`, message });
      return;
    }
    names.set(entry.name, index);
    const timezone = entry.timezone ?? "UTC";
    const zoneProblem = timezoneProblem(timezone);
    if (zoneProblem) {
      problems.push({ path: manifestPath, field: `${at}.timezone`, message: zoneProblem });
      return;
    }
    const problem = cronProblem({ cron: entry.cron, timezone });
    if (problem) {
      problems.push({ path: manifestPath, field: `${at}.cron`, message: problem });
      return;
    }
    schedules.push({
      name: entry.name,
      cron: entry.cron,
      timezone,
      catchUp: entry.catch_up ?? "latest",
      event: { type: entry.event.type, payload: entry.event.payload ?? {} },
    });
  });
  return schedules;
}

/** The next `count` fire times strictly after `after`. */
export function nextTicks(schedule: ScheduleDefinition, after: Date, count: number): Date[] {
  return cronOf(schedule).nextRuns(count, after);
}

/** Ticks in (after, upTo], oldest first, at most the newest `limit` of them. */
export function ticksBetween(schedule: ScheduleDefinition, after: Date, upTo: Date, limit: number): Date[] {
  // previousRuns counts back from its reference, exclusive: one millisecond on includes `upTo` itself.
  const newest = cronOf(schedule).previousRuns(limit, new Date(upTo.getTime() + 1));
  return newest.filter((tick) => tick.getTime() > after.getTime()).reverse();
}

/** The event id of one tick: deterministic, so the intake's idempotency makes a tick fire once. */
export function tickEventId(flow: string, schedule: string, tick: Date): string {
  return `schedule:${flow}:${schedule}:${tick.toISOString()}`;
}

/** The FlowEvent a tick fires. */
export function tickEvent(flow: string, schedule: ScheduleDefinition, tick: Date, now: Date): FlowEvent {
  return {
    id: tickEventId(flow, schedule.name, tick),
    type: schedule.event.type,
    source: "schedule",
    occurredAt: tick.toISOString(),
    receivedAt: now.toISOString(),
    payload: structuredClone(schedule.event.payload),
  };
}

/** A flow's schedules as `list`, `check` and `GET /schedules` show them. */
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
