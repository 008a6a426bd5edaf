// The HTTP front: size limit, signature check, routing (404/405), and JSON errors that are never 5xx for bad input.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { describeError } from "../core/errors.js";
import { rememberNonce } from "../store/remember-nonce.js";
import { STOPPING } from "../wire/protocol.js";
import {
  MAX_SKEW_SECONDS,
  NONCE_HEADER,
  nonceExpiry,
  SIGNATURE_HEADER,
  SIGNATURE_HEADER_ALIASES,
  signatureProblem,
  TIMESTAMP_HEADER,
} from "../wire/signature.js";
import { foreignBrowserProblem } from "./dashboard/browser-guard.js";
import {
  postSessionLink,
  sendLoginNeeded,
  serveDashboard,
  serveLogin,
  wantsPage,
} from "./dashboard/dashboard-routes.js";
import { sessionGrant } from "./dashboard/session-auth.js";
import { getEvent, getEvents, postEvent, replayEvent } from "./event-routes.js";
import { ClientGone, HttpError, readBody, sendJson } from "./http-io.js";
import { getRunOutput } from "./output-routes.js";
import { parseTarget } from "./request-target.js";
import type { RouteHandler, RouteRequest } from "./route-types.js";
import { cancelRun, getRunRoute, getRuns } from "./run-routes.js";
import { getSchedules } from "./schedule-routes.js";
import type { BackendService } from "./service.js";
import { diskFullAnswer, isDiskFull, storeHealth } from "./store-health.js";
import { getStream } from "./stream-routes.js";
import { postClaim, postComplete, postHeartbeat, postOutput } from "./worker-routes.js";

interface Route {
  /** Literal segments, `:id` for a parameter. */
  pattern: string[];
  methods: Record<string, RouteHandler>;
  /**
   * Whether a POST here may be signed over its body alone (webhook style). Such a signature binds no
   * endpoint and no time, so only accepting events, idempotent by id, takes it.
   */
  bodySignature?: true;
  /**
   * A worker's call about an attempt: fenced by its lease token, and harmless when sent again (a
   * heartbeat renews the holder's lease, output is stored once per position, a second complete is a
   * duplicate), so its nonce is not remembered: that would cost a synced commit per heartbeat and batch.
   */
  leaseFenced?: true;
  /** A POST the dashboard makes: a session cookie with its CSRF header authorizes it (see dashboard/session-auth.ts). */
  sessionPost?: true;
}

const ROUTES: Route[] = [
  { pattern: ["events"], methods: { GET: getEvents, POST: postEvent }, bodySignature: true },
  { pattern: ["flow-events"], methods: { POST: postEvent }, bodySignature: true },
  { pattern: ["events", ":id"], methods: { GET: getEvent } },
  { pattern: ["events", ":id", "replay"], methods: { POST: replayEvent }, sessionPost: true },
  { pattern: ["runs"], methods: { GET: getRuns } },
  { pattern: ["runs", ":id"], methods: { GET: getRunRoute } },
  { pattern: ["runs", ":id", "cancel"], methods: { POST: cancelRun }, sessionPost: true },
  { pattern: ["runs", ":id", "output"], methods: { GET: getRunOutput } },
  { pattern: ["stream"], methods: { GET: getStream } },
  { pattern: ["sessions", "link"], methods: { POST: postSessionLink } },
  { pattern: ["schedules"], methods: { GET: getSchedules } },
  { pattern: ["workers", "claim"], methods: { POST: postClaim } },
  { pattern: ["attempts", ":id", "heartbeat"], methods: { POST: postHeartbeat }, leaseFenced: true },
  { pattern: ["attempts", ":id", "output"], methods: { POST: postOutput }, leaseFenced: true },
  { pattern: ["attempts", ":id", "complete"], methods: { POST: postComplete }, leaseFenced: true },
];

function findRoute(segments: string[]): { route: Route; params: string[] } | undefined {
  for (const route of ROUTES) {
    if (route.pattern.length !== segments.length) continue;
    const params: string[] = [];
    const fits = route.pattern.every((part, index) => {
      const segment = segments[index] as string;
      if (part === ":id") {
        params.push(segment);
        return segment.length > 0;
      }
      return part === segment;
    });
    if (fits) return { route, params };
  }
  return undefined;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The signature; on event intake also under the names Patch dispatchers use for it. */
function signatureHeader(request: IncomingMessage, intake: boolean): string | undefined {
  const signature = header(request, SIGNATURE_HEADER);
  if (signature !== undefined || !intake) return signature;
  for (const alias of SIGNATURE_HEADER_ALIASES) {
    const value = header(request, alias);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Set when SIGTERM arrives: requests on connections that are still open get a 503 instead of new work,
 * except a remote worker's calls about its running attempts, answered until the store is closed.
 */
export interface HandlerState {
  stopping: boolean;
  closed?: boolean;
}

/**
 * What a route handler gets. A class, so every request has the same shape and `signal` is a getter on
 * the prototype: an object literal with its own getter cost ~35 µs per request (bench P3, about a
 * tenth of accepting an event), since V8 builds such literals the slow way. The AbortSignal itself is
 * made on first use: one per request was ~5% more, and only claims and streams ask for it.
 */
class RequestContext implements RouteRequest {
  private closed?: AbortSignal;

  constructor(
    readonly service: BackendService,
    readonly params: string[],
    readonly query: URLSearchParams,
    readonly body: Buffer,
    readonly headers: IncomingHttpHeaders,
    private readonly response: ServerResponse,
  ) {}

  /** Aborts when the client's connection closes (at once if it already has). */
  get signal(): AbortSignal {
    if (!this.closed) {
      const gone = new AbortController();
      const response = this.response;
      // Gone already: the socket was destroyed, or it was handed back after an answer.
      if (response.destroyed || response.socket?.destroyed !== false) gone.abort();
      else response.once("close", () => gone.abort());
      this.closed = gone.signal;
    }
    return this.closed;
  }
}

export function createRequestHandler(
  service: BackendService,
  log: (line: string) => void,
  state: HandlerState = { stopping: false },
) {
  const { secret, bodyLimit } = service.config;
  const refuseWhenStopping = (request: IncomingMessage, route?: Route) => {
    if (!state.stopping) return;
    if (route?.leaseFenced && !state.closed) return;
    request.resume();
    throw new HttpError(
      503,
      "the service is stopping; retry once it is back",
      { code: STOPPING },
      { connection: "close" },
    );
  };
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      service.pollDurability();
      const method = request.method ?? "GET";
      const pathAndQuery = request.url ?? "/";
      const target = parseTarget(pathAndQuery);
      // Found before the signature check (which depends on the route), answered only after it.
      const found = findRoute(target.segments);
      refuseWhenStopping(request, found?.route);
      if (target.path === "/healthz") {
        if (method !== "GET") throw new HttpError(405, "use GET /healthz", {}, { allow: "GET" });
        request.resume();
        const store = storeHealth(service.db, service.config.dataDir);
        if (store.writable) sendJson(response, 200, { ok: true, store: "writable" });
        else sendJson(response, 503, { ok: false, store: "unwritable", error: store.reason });
        return;
      }
      const body = await readBody(request, bodyLimit);
      // A body can take long to arrive; SIGTERM may have come meanwhile, and then no new work starts.
      refuseWhenStopping(request, found?.route);
      if (target.path === "/login" && method === "GET") {
        // Authorized by its one-time token, which is the point of the link.
        serveLogin(service.sessions, request, response, target, secret !== undefined);
        return;
      }
      if (secret === undefined) {
        const problem = foreignBrowserProblem(request, method, service.config.host);
        if (problem) throw new HttpError(403, problem);
      }
      // A dashboard browser proves itself with its session cookie (and a CSRF header on POST); every
      // other request, and one that carries a signature, goes through the signature check.
      const session =
        secret === undefined || header(request, SIGNATURE_HEADER) !== undefined
          ? undefined
          : sessionGrant(service.sessions, request, method, found?.route.sessionPost === true);
      if (secret !== undefined && session === undefined) {
        const intake = method === "POST" && found?.route.bodySignature === true;
        // State-changing requests other than intake (which is idempotent by event id) are single-use.
        const nonceRequired = method === "POST" && !intake && found?.route.leaseFenced !== true;
        const timestamp = header(request, TIMESTAMP_HEADER);
        const nonce = header(request, NONCE_HEADER);
        const problem = signatureProblem(secret, {
          method,
          pathAndQuery,
          body,
          signature: signatureHeader(request, intake),
          timestamp,
          nonce,
          now: Math.floor(Date.now() / 1000),
          bodySignatureAllowed: intake,
          nonceRequired,
        });
        if (problem && wantsPage(request, target, method)) return sendLoginNeeded(response, problem);
        if (problem) throw new HttpError(401, problem);
        if (nonceRequired && nonce !== undefined && timestamp !== undefined) {
          if (!rememberNonce(service.db, nonce, nonceExpiry(timestamp), Date.now())) {
            throw new HttpError(
              401,
              `this signed request was already used (its ${NONCE_HEADER} was seen within the last ${MAX_SKEW_SECONDS} s); sign each request with a fresh nonce`,
            );
          }
        }
      }
      if (!found && serveDashboard(request, response, target, method, session)) return;
      if (!found) throw new HttpError(404, `no endpoint ${target.path}`);
      const handler = found.route.methods[method];
      if (!handler) {
        const allow = Object.keys(found.route.methods).join(", ");
        throw new HttpError(405, `${method} is not allowed on ${target.path} (allowed: ${allow})`, {}, { allow });
      }
      const answer = await handler(
        new RequestContext(service, found.params, target.query, body, request.headers, response),
      );
      if (response.destroyed) return;
      if ("stream" in answer) answer.stream(response);
      else sendJson(response, answer.status, answer.body);
    } catch (error) {
      if (error instanceof HttpError) {
        sendJson(response, error.status, { error: error.message, ...error.extra }, error.headers);
        return;
      }
      if (error instanceof ClientGone) {
        response.destroy();
        return;
      }
      if (isDiskFull(error) && !response.headersSent) {
        log(`error: ${request.method} ${request.url}: the disk is full: ${describeError(error)}`);
        const full = diskFullAnswer(service.config.dataDir);
        sendJson(response, full.status, { error: full.message, ...full.extra }, full.headers);
        return;
      }
      log(`error: ${request.method} ${request.url}: ${describeError(error)}`);
      if (!response.headersSent) sendJson(response, 500, { error: "internal error; see the service log" });
      else response.destroy();
    }
  };
}
