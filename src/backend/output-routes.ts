// GET /runs/<id>/output: a run's stored output as JSON pages, or (Accept: text/event-stream) followed live as Server-Sent Events.
import type { ServerResponse } from "node:http";
import { formatCursor, listOutput, type OutputCursor, parseCursor } from "../store/list-output.js";
import { runState } from "../store/run-state.js";
import { FINISHED_STATUSES } from "../wire/records.js";
import { HttpError } from "./http-io.js";
import type { RouteHandler, RouteRequest } from "./route-types.js";
import type { BackendService } from "./service.js";
import { openSse } from "./sse.js";

export const DEFAULT_OUTPUT_LIMIT = 1_000;
export const MAX_OUTPUT_LIMIT = 10_000;
/** Chunks read per query while a stream catches up: bounded memory, however long the output. */
const STREAM_PAGE = 500;

function cursorParam(value: string | undefined, name: string): OutputCursor | undefined {
  if (value === undefined || value === "") return undefined;
  const cursor = parseCursor(value);
  if (!cursor) {
    throw new HttpError(
      400,
      `${name} must be <attempt>:<index> (e.g. 1:41, an event id of this stream), got "${value}"`,
      {
        field: name,
      },
    );
  }
  return cursor;
}

function limitOf(query: URLSearchParams): number {
  const value = query.get("limit");
  if (value === null || value === "") return DEFAULT_OUTPUT_LIMIT;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_OUTPUT_LIMIT) {
    throw new HttpError(
      400,
      `query parameter "limit" must be an integer from 1 to ${MAX_OUTPUT_LIMIT}, got "${value}"`,
      { field: "limit" },
    );
  }
  return limit;
}

function header(request: RouteRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function wantsEventStream(request: RouteRequest): boolean {
  return (header(request, "accept") ?? "").toLowerCase().includes("text/event-stream");
}

export const getRunOutput: RouteHandler = (request) => {
  const { service, params, query } = request;
  const id = params[0] as string;
  const state = runState(service.db, id);
  if (!state) throw new HttpError(404, `no run with id "${id}"`, { runId: id });
  if (wantsEventStream(request)) {
    // A reconnect's Last-Event-ID wins over the query: EventSource keeps the first connect's URL.
    const after =
      cursorParam(header(request, "last-event-id"), "Last-Event-ID") ??
      cursorParam(query.get("after") ?? undefined, "after");
    return { stream: (response) => streamOutput(service, id, after, response) };
  }
  const after = cursorParam(query.get("after") ?? undefined, "after");
  const limit = limitOf(query);
  const chunks = listOutput(service.db, id, after, limit + 1);
  const more = chunks.length > limit;
  if (more) chunks.pop();
  const last = chunks.at(-1);
  return {
    status: 200,
    body: { chunks, next: more && last ? formatCursor(last) : null, status: state.status },
  };
};

/**
 * Stored chunks from `after` on, then each new one as the feed says it was stored, a `status` event
 * when the run's status or attempt changes, and `end` once it is final. Each wake-up reads the run's
 * state before its chunks: a run seen final has all of its output stored (an attempt's last chunks
 * are committed with its completion), so `end` never comes before a chunk.
 */
function streamOutput(
  service: BackendService,
  runId: string,
  after: OutputCursor | undefined,
  response: ServerResponse,
): void {
  const sse = openSse(response);
  let cursor = after;
  let shown: { status: string; attempt: number } | undefined;
  let waitingForDrain = false;
  const pump = () => {
    if (sse.gone || waitingForDrain) return;
    const state = runState(service.db, runId);
    if (!state) return sse.end();
    while (true) {
      const chunks = listOutput(service.db, runId, cursor, STREAM_PAGE);
      for (const chunk of chunks) {
        cursor = chunk;
        if (!sse.send("chunk", chunk, formatCursor(chunk))) {
          if (sse.gone) return;
          // The client reads slower than the step prints: go on once its buffer has room.
          waitingForDrain = true;
          sse.onDrain(() => {
            waitingForDrain = false;
            pump();
          });
          return;
        }
      }
      if (chunks.length < STREAM_PAGE) break;
    }
    if (FINISHED_STATUSES.includes(state.status)) {
      sse.send("end", { status: state.status, result: state.result, error: state.error });
      return sse.end();
    }
    if (shown?.status !== state.status || shown.attempt !== state.attempt) {
      shown = { status: state.status, attempt: state.attempt };
      sse.send("status", shown);
    }
  };
  const unwatch = service.feed.watchRun(runId, { change: pump, close: () => sse.end() });
  sse.onGone(unwatch);
  pump();
}
