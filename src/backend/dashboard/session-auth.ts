// Telling a dashboard browser apart from a signed client: the session cookie, its CSRF header, and the cookie itself.
import type { IncomingMessage } from "node:http";
import { HttpError } from "../http-io.js";
import type { Session, SessionStore } from "./session-store.js";

/** The header the page copies its CSRF token into (from the page's meta tag) on every POST. */
export const CSRF_HEADER = "x-csrf-token";

/**
 * Cookies are shared by every port of a host, so two services on 127.0.0.1 would overwrite each
 * other's session: the name carries the port the request came in on.
 */
export function cookieName(request: IncomingMessage): string {
  return `codex_flows_session_${request.socket.localPort ?? 0}`;
}

function cookies(request: IncomingMessage): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of (request.headers.cookie ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0) found.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return found;
}

/** The session the request's cookie names, if it is alive. */
export function sessionOf(sessions: SessionStore, request: IncomingMessage): Session | undefined {
  const id = cookies(request).get(cookieName(request));
  return id === undefined ? undefined : sessions.find(id);
}

/**
 * The session that authorizes this request, or undefined (then the signature check decides, as for
 * any client). A POST needs the CSRF header too, since a browser attaches the cookie to requests
 * other pages make, and only on the routes the dashboard uses (replay, cancel): a cookie never
 * authorizes worker calls or minting login links.
 */
export function sessionGrant(
  sessions: SessionStore,
  request: IncomingMessage,
  method: string,
  postAllowed: boolean,
): Session | undefined {
  const session = sessionOf(sessions, request);
  if (!session) return undefined;
  if (method === "GET" || method === "HEAD") return session;
  if (!postAllowed) return undefined;
  const given = request.headers[CSRF_HEADER];
  if (!sessions.csrfMatches(session, Array.isArray(given) ? given[0] : given)) {
    throw new HttpError(
      403,
      `a dashboard session needs the ${CSRF_HEADER} header (the page's CSRF token) on ${method} requests; reload the page`,
    );
  }
  return session;
}

/** The Set-Cookie value for a new session: invisible to scripts, never sent by other sites' requests. */
export function sessionCookie(request: IncomingMessage, session: Session): string {
  const maxAge = Math.max(0, Math.round((session.expiresAt - Date.now()) / 1000));
  return `${cookieName(request)}=${session.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
}
