// Run endpoints: GET /runs, GET /runs/<id> (attempts, result, output), POST /runs/<id>/cancel.

import { FLOW_STATUSES } from "../core/types.js";
import { getRun } from "../store/get-run.js";
import { latestWorkers } from "../store/latest-workers.js";
import { listRunsPage } from "../store/list-runs.js";
import { RUN_STATUSES } from "../wire/records.js";
import { HttpError } from "./http-io.js";
import { choiceParam, cursorParam, limitParam, type RouteHandler, textParam } from "./route-types.js";

export const getRuns: RouteHandler = ({ service, query }) => {
  const { runs, next } = listRunsPage(service.db, {
    limit: limitParam(query),
    eventId: textParam(query, "eventId"),
    flow: textParam(query, "flow"),
    status: choiceParam(query, "status", RUN_STATUSES),
    resultStatus: choiceParam(query, "result", FLOW_STATUSES),
    before: cursorParam(query),
  });
  // The list shows who ran each run; the attempts themselves are in GET /runs/<id>.
  const workers = latestWorkers(
    service.db,
    runs.map((run) => run.id),
  );
  return { status: 200, body: { runs: runs.map((run) => ({ ...run, workerId: workers.get(run.id) ?? null })), next } };
};

function notFoundRun(id: string): HttpError {
  return new HttpError(404, `no run with id "${id}"`, { runId: id });
}

export const getRunRoute: RouteHandler = ({ service, params }) => {
  const id = params[0] as string;
  const run = getRun(service.db, id);
  if (!run) throw notFoundRun(id);
  return { status: 200, body: { run } };
};

export const cancelRun: RouteHandler = async ({ service, params }) => {
  const id = params[0] as string;
  const before = getRun(service.db, id);
  if (!before) throw notFoundRun(id);
  if (before.status !== "queued" && before.status !== "running") {
    throw new HttpError(409, `run ${id} is already ${before.status}; only queued or running runs can be canceled`, {
      runId: id,
      runStatus: before.status,
    });
  }
  await service.cancel(id);
  return { status: 200, body: { run: getRun(service.db, id) } };
};
