// GET /schedules: every schedule of the project's flows, with its last fire and next three fire times.
import { scheduleFacts } from "../engine/schedules.js";
import { listScheduleStates } from "../store/schedule-state.js";
import type { RouteHandler } from "./route-types.js";

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export const getSchedules: RouteHandler = ({ service }) => {
  const states = listScheduleStates(service.db);
  const now = new Date();
  const schedules = service.catalog.current().flows.flatMap((flow) =>
    scheduleFacts(flow, now).map((facts) => {
      const state = states.get(`${flow.name}/${facts.name}`);
      return {
        ...facts,
        lastTick: iso(state?.lastTickAt),
        lastFiredAt: iso(state?.lastFiredAt),
        lastEventId: state?.lastEventId ?? null,
      };
    }),
  );
  return { status: 200, body: { schedules } };
};
