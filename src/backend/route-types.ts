// What every route handler gets and gives back, and the query-string checks they share.
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import { decodeCursor } from "../store/page-cursor.js";
import { HttpError } from "./http-io.js";
import type { BackendService } from "./service.js";

export interface RouteRequest {
  service: BackendService;
  /** Decoded path parameters (`/events/<id>` gives [id]). */
  params: string[];
  query: URLSearchParams;
  body: Buffer;
  headers: IncomingHttpHeaders;
  /** Aborted when the client goes away or the service stops: a long wait (a worker's claim) ends then. */
  signal: AbortSignal;
}

export type RouteAnswer =
  | { status: number; body: unknown }
  /** A long-lived answer (Server-Sent Events): the handler writes it, and ends it, itself. */
  | { stream: (response: ServerResponse) => void };

export type RouteHandler = (request: RouteRequest) => Promise<RouteAnswer> | RouteAnswer;

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 1_000;

/** `?limit=` as an integer from 1 to 1000 (default 50); anything else is a 400 naming the parameter. */
export function limitParam(query: URLSearchParams): number {
  const value = query.get("limit");
  if (value === null || value === "") return DEFAULT_LIMIT;
  const limit = Number(value);
  if (!/^\d+$/.test(value) || limit < 1 || limit > MAX_LIMIT) {
    throw new HttpError(400, `query parameter "limit" must be an integer from 1 to ${MAX_LIMIT}, got "${value}"`, {
      field: "limit",
    });
  }
  return limit;
}

/** An optional query parameter that must be one of `allowed`. */
export function choiceParam<T extends string>(
  query: URLSearchParams,
  name: string,
  allowed: readonly T[],
): T | undefined {
  const value = query.get(name);
  if (value === null || value === "") return undefined;
  if (!allowed.includes(value as T)) {
    throw new HttpError(400, `query parameter "${name}" must be one of ${allowed.join(", ")}, got "${value}"`, {
      field: name,
    });
  }
  return value as T;
}

export function textParam(query: URLSearchParams, name: string): string | undefined {
  const value = query.get(name);
  return value === null || value === "" ? undefined : value;
}

/** `?cursor=` as the seq it holds (undefined for the first page); a cursor this service did not give out is a 400. */
export function cursorParam(query: URLSearchParams): number | undefined {
  const value = query.get("cursor");
  if (value === null || value === "") return undefined;
  const seq = decodeCursor(value);
  if (seq === undefined) {
    throw new HttpError(400, `query parameter "cursor" is not a cursor this service gave out, got "${value}"`, {
      field: "cursor",
      hint: 'pass the "next" value of the previous page unchanged, or leave "cursor" out for the first page',
    });
  }
  return seq;
}
