// GET /schedules: every schedule of the project's flows, with its last fire and next three fire times.
import { nextTicks } from "../engine/schedules.js";
import { listScheduleStates } from "../store/schedule-state.js";
import type { RouteHandler } from "./route-types.js";

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export const getSchedules: RouteHandler = ({ service }) => {
  const states = listScheduleStates(service.db);
  const now = new Date();
  const schedules = service.catalog.current().flows.flatMap((flow) =>
    flow.schedules.map((schedule) => {
      const state = states.get(`${flow.name}/${schedule.name}`);
      return {
        flow: flow.name,
        name: schedule.name,
        cron: schedule.cron,
        timezone: schedule.timezone,
        catchUp: schedule.catchUp,
        eventType: schedule.event.type,
        lastTick: iso(state?.lastTickAt),
        lastFiredAt: iso(state?.lastFiredAt),
        lastEventId: state?.lastEventId ?? null,
        next: nextTicks(schedule, now, 3).map((tick) => tick.toISOString()),
      };
    }),
  );
  return { status: 200, body: { schedules } };
};
