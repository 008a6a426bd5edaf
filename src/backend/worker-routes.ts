// Worker endpoints: the lease protocol over HTTP (claim, heartbeat, output, complete), for `codex-flows worker`.
import { isLoopback } from "../core/settings.js";
import { contractProblems } from "../schema/contracts.js";
import {
  type AttemptOutcome,
  type AttemptRef,
  type Capabilities,
  type Claim,
  type ClaimRequest,
  LEASE_LOST,
  LeaseLostError,
  type OutputChunkInput,
} from "../wire/protocol.js";
import { HttpError, parseJsonBody } from "./http-io.js";
import type { RouteHandler, RouteRequest } from "./route-types.js";

/** The longest a claim may wait for work; under the server's request timeout, and short enough to notice a dead link. */
export const MAX_CLAIM_WAIT_MS = 25_000;
const MAX_TIME_MS = 8.64e15;
const OUTCOME_STATUSES = ["completed", "failed", "canceled", "interrupted"] as const;

type Body = Record<string, unknown>;

function bodyOf(request: RouteRequest): Body {
  const { service } = request;
  // Without a secret, anyone who reaches a non-loopback address could take runs and forge their results.
  if (service.config.secret === undefined && !isLoopback(service.config.host)) {
    throw new HttpError(403, "worker endpoints need a secret on a non-loopback bind: set CODEX_FLOW_BACKEND_SECRET");
  }
  const value = parseJsonBody(request.body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "the body must be a JSON object");
  }
  return value as Body;
}

function bad(field: string, message: string): HttpError {
  return new HttpError(400, `"${field}" ${message}`, { field });
}

function text(body: Body, field: string, optional = false, prefix = ""): string | undefined {
  const value = body[field];
  if (value === undefined && optional) return undefined;
  if (typeof value !== "string" || value.length === 0) throw bad(`${prefix}${field}`, "must be a non-empty string");
  return value;
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    throw bad(field, "must be an array of strings");
  }
  return value as string[];
}

function capabilitiesOf(body: Body, prefix = ""): Capabilities {
  const given = body.capabilities;
  if (typeof given !== "object" || given === null)
    throw bad(`${prefix}capabilities`, 'must be an object {"runners": [...], "flows": [...]}');
  const { runners, flows } = given as Record<string, unknown>;
  return {
    runners: stringList(runners, `${prefix}capabilities.runners`),
    flows: flows === "*" ? "*" : stringList(flows, `${prefix}capabilities.flows`),
  };
}

/** The attempt in the path and the lease token in the body. */
function attemptOf(request: RouteRequest, body: Body): AttemptRef {
  const raw = request.params[0] as string;
  const attemptId = Number(raw);
  if (!/^\d{1,15}$/.test(raw) || !Number.isSafeInteger(attemptId)) {
    throw new HttpError(404, `no attempt "${raw}" (attempt ids are integers)`);
  }
  return { attemptId, leaseToken: text(body, "leaseToken") as string };
}

/** A refused token is 409 with a code of its own, so a worker tells it from every other failure. */
async function fenced<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof LeaseLostError) throw new HttpError(409, error.message, { code: LEASE_LOST });
    throw error;
  }
}

function claimRequestOf(body: Body, prefix = ""): ClaimRequest {
  const waitMs = body.waitMs ?? 0;
  if (typeof waitMs !== "number" || !Number.isInteger(waitMs) || waitMs < 0) {
    throw bad(`${prefix}waitMs`, "must be a whole number of milliseconds");
  }
  return {
    workerId: text(body, "workerId", false, prefix) as string,
    capabilities: capabilitiesOf(body, prefix),
    exclude: body.exclude === undefined ? [] : stringList(body.exclude, `${prefix}exclude`),
    waitMs: Math.min(waitMs, MAX_CLAIM_WAIT_MS),
  };
}

/** The worker hung up before its answer (it is stopping, or refreshing its claim): the run goes back. */
function deliverable(request: RouteRequest, claim: Claim | null | undefined): Claim | null | undefined {
  if (!claim || !request.signal.aborted) return claim;
  request.service.protocol.release(claim);
  return null;
}

export const postClaim: RouteHandler = async (request) => {
  const claimRequest = claimRequestOf(bodyOf(request));
  const claim = await request.service.protocol.claim(claimRequest, request.signal);
  return { status: 200, body: { claim: deliverable(request, claim) } };
};

export const postHeartbeat: RouteHandler = async (request) => {
  const attempt = attemptOf(request, bodyOf(request));
  return { status: 200, body: await fenced(() => request.service.protocol.heartbeat(attempt)) };
};

function chunksOf(body: Body, name = "chunks"): OutputChunkInput[] {
  const given = body[name];
  if (!Array.isArray(given)) throw bad(name, "must be an array of {index, stream, text, at}");
  return given.map((chunk: unknown, position) => {
    const { index, stream, text: chunkText, at } = (chunk ?? {}) as Record<string, unknown>;
    const field = `${name}[${position}]`;
    if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0)
      throw bad(`${field}.index`, "must be a whole number");
    if (typeof stream !== "string" || stream.length === 0) throw bad(`${field}.stream`, "must be a non-empty string");
    if (typeof chunkText !== "string") throw bad(`${field}.text`, "must be a string");
    // The range of a JavaScript Date: anything else could never be shown as a time again.
    if (typeof at !== "number" || !Number.isFinite(at) || at < 0 || at > MAX_TIME_MS) {
      throw bad(`${field}.at`, "must be a time in milliseconds since the epoch");
    }
    return { index, stream, text: chunkText, at };
  });
}

export const postOutput: RouteHandler = async (request) => {
  const body = bodyOf(request);
  const attempt = attemptOf(request, body);
  const chunks = chunksOf(body);
  await fenced(() => request.service.protocol.appendOutput(attempt, chunks));
  return { status: 200, body: { stored: chunks.length } };
};

function outcomeOf(body: Body): AttemptOutcome {
  const outcome = body.outcome;
  if (typeof outcome !== "object" || outcome === null)
    throw bad("outcome", "must be an object {status, result, error}");
  const { status, result, error } = outcome as Record<string, unknown>;
  if (!OUTCOME_STATUSES.includes(status as (typeof OUTCOME_STATUSES)[number])) {
    throw bad("outcome.status", `must be one of ${OUTCOME_STATUSES.join(", ")}`);
  }
  if (result !== null && result !== undefined) {
    const problems = contractProblems("result", result);
    if (problems.length > 0) throw bad("outcome.result", `must be null or a FLOW_RESULT: ${problems.join("; ")}`);
  }
  if (error !== null && error !== undefined && typeof error !== "string")
    throw bad("outcome.error", "must be a string or null");
  return {
    status: status as AttemptOutcome["status"],
    result: (result ?? null) as AttemptOutcome["result"],
    error: (error ?? null) as string | null,
  };
}

export const postComplete: RouteHandler = async (request) => {
  const body = bodyOf(request);
  const attempt = attemptOf(request, body);
  const outcome = outcomeOf(body);
  const output = body.output === undefined ? undefined : chunksOf(body, "output");
  const next = body.claimNext;
  if (next !== undefined && (typeof next !== "object" || next === null || Array.isArray(next))) {
    throw bad("claimNext", "must be a claim request {workerId, capabilities, exclude?}");
  }
  const claimNext = next === undefined ? undefined : claimRequestOf(next as Body, "claimNext.");
  const answer = await fenced(() => request.service.protocol.complete(attempt, outcome, { output, claimNext }));
  return { status: 200, body: { ...answer, next: deliverable(request, answer.next) } };
};
