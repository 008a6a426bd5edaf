// Event endpoints: POST /events (and /flow-events), GET /events, GET /events/<id>, POST /events/<id>/replay.
import { EventError } from "../core/errors.js";
import { normalizeEvent } from "../engine/event.js";
import { findRun } from "../store/get-run.js";
import { findEvent, listEventsPage } from "../store/list-events.js";
import { runsOfEvent } from "../store/list-runs.js";
import { eventIdProblem } from "../wire/event-id.js";
import { HttpError, parseJsonBody } from "./http-io.js";
import { cursorParam, limitParam, type RouteHandler, textParam } from "./route-types.js";

/** The checks a sender most often gets wrong, answered with the field's name before full validation. */
function checkRequiredFields(value: unknown): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "the body must be a JSON object (a FlowEvent)");
  }
  for (const field of ["id", "type"]) {
    const given = (value as Record<string, unknown>)[field];
    if (given === undefined || given === null) {
      throw new HttpError(400, `event field "${field}" is required`, { field });
    }
    if (typeof given !== "string" || given.length === 0) {
      throw new HttpError(400, `event field "${field}" must be a non-empty string`, { field });
    }
  }
  const problem = eventIdProblem((value as { id: string }).id);
  if (problem) throw new HttpError(400, `event field "id" ${problem}`, { field: "id" });
}

export const postEvent: RouteHandler = async ({ service, body }) => {
  const value = parseJsonBody(body);
  checkRequiredFields(value);
  let event: ReturnType<typeof normalizeEvent>;
  try {
    event = normalizeEvent(value, "request body");
  } catch (error) {
    if (error instanceof EventError) throw new HttpError(400, error.message);
    throw error;
  }
  const result = await service.dispatch(event);
  if (result.status === "duplicate") {
    return {
      status: 200,
      body: { status: "duplicate", eventId: result.eventId, runIds: result.runIds, matched: 0 },
    };
  }
  return {
    status: 202,
    body: {
      status: "accepted",
      eventId: result.eventId,
      runIds: result.runIds,
      matched: result.matched,
      skipped: result.skipped,
    },
  };
};

export const getEvents: RouteHandler = ({ service, query }) => ({
  status: 200,
  body: listEventsPage(service.db, {
    limit: limitParam(query),
    type: textParam(query, "type"),
    parentEventId: textParam(query, "parent"),
    before: cursorParam(query),
  }),
});

function notFoundEvent(id: string): HttpError {
  return new HttpError(404, `no event with id "${id}"`, { eventId: id });
}

export const getEvent: RouteHandler = ({ service, params }) => {
  const id = params[0] as string;
  const event = findEvent(service.db, id);
  if (!event) throw notFoundEvent(id);
  return { status: 200, body: { event, runs: runsOfEvent(service.db, id) } };
};

export const replayEvent: RouteHandler = async ({ service, params, body }) => {
  const id = params[0] as string;
  const options = parseJsonBody(body, {});
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new HttpError(400, 'the body must be a JSON object, e.g. {"wait": true}');
  }
  const wait = (options as { wait?: unknown }).wait;
  if (wait !== undefined && typeof wait !== "boolean") {
    throw new HttpError(400, `"wait" must be true or false`, { field: "wait" });
  }
  const replay = service.replay(id);
  if (!replay) throw notFoundEvent(id);
  const answer = { status: "accepted", ...replay };
  if (!wait) return { status: 202, body: answer };
  await service.waitForRuns(replay.runIds);
  return { status: 200, body: { ...answer, runs: replay.runIds.map((runId) => findRun(service.db, runId)) } };
};
