// The dashboard's own answers: the page at /, its files under /assets/, the login link's landing, and minting links.
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RequestTarget } from "../request-target.js";
import type { RouteHandler } from "../route-types.js";
import { DashboardAssets, IMPORT_MAP } from "./dashboard-assets.js";
import { sessionCookie } from "./session-auth.js";
import type { Session, SessionStore } from "./session-store.js";

let assets: DashboardAssets | undefined;
/** Made on the first dashboard request: a service only used through its API never looks for the files. */
const files = () => {
  assets ??= new DashboardAssets();
  return assets;
};

const IMPORT_MAP_TAG = JSON.stringify(IMPORT_MAP);
const IMPORT_MAP_HASH = createHash("sha256").update(IMPORT_MAP_TAG).digest("base64");

/** Scripts only from this origin (plus the inline import map, by its hash), and no framing: a hidden frame cannot press Cancel. */
const PAGE_HEADERS = {
  "content-security-policy": `default-src 'self'; script-src 'self' 'sha256-${IMPORT_MAP_HASH}'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

const escapeAttribute = (text: string) => text.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

function sendHtml(response: ServerResponse, status: number, html: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(html);
  response.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": body.length,
    ...PAGE_HEADERS,
    ...headers,
  });
  response.end(body);
}

function smallPage(title: string, text: string, head = ""): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">${head}<title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;
}

const REFRESH = '<meta http-equiv="refresh" content="0; url=/">';

/** Whether a request is a browser asking for the page: then a refused login gets a page that says what to do. */
export function wantsPage(request: IncomingMessage, target: RequestTarget, method: string): boolean {
  return method === "GET" && target.path === "/" && (request.headers.accept ?? "").includes("text/html");
}

/** The 401 a browser gets for the page without a session (a client sending JSON still gets the JSON 401). */
export function sendLoginNeeded(response: ServerResponse, problem: string): void {
  sendHtml(
    response,
    401,
    smallPage(
      "Log in to codex-flows",
      `This service needs a login. Run <code>codex-flows backend open</code> where the secret is set; it prints a one-time link. (${escapeAttribute(problem)})`,
    ),
  );
}

/**
 * GET /login?token=...: the one-time token becomes a session cookie. The answer is a page that
 * moves on to / by itself instead of a 303: after a redirect from a link clicked in another site
 * (a chat, a mail), the browser would withhold the SameSite=Strict cookie from the first load of /.
 */
export function serveLogin(
  sessions: SessionStore,
  request: IncomingMessage,
  response: ServerResponse,
  target: RequestTarget,
  secretSet: boolean,
): void {
  if (!secretSet) {
    // Nothing to log into: the page is open to whoever reaches the loopback address.
    sendHtml(response, 200, smallPage("No login needed", '<a href="/">Open the dashboard</a>', REFRESH));
    return;
  }
  const token = target.query.get("token") ?? "";
  const session = token === "" ? undefined : sessions.redeem(token);
  if (!session) {
    sendHtml(
      response,
      401,
      smallPage(
        "This login link does not work",
        "A login link works once, for 2 minutes. Run <code>codex-flows backend open</code> again for a new one.",
      ),
    );
    return;
  }
  sendHtml(response, 200, smallPage("Logged in", '<a href="/">Open the dashboard</a>', REFRESH), {
    "set-cookie": sessionCookie(request, session),
  });
}

/** POST /sessions/link (signed, single-use): a one-time login path; without a secret the page needs none. */
export const postSessionLink: RouteHandler = ({ service }) => {
  if (service.config.secret === undefined) return { status: 200, body: { path: "/", token: null, expiresAt: null } };
  const link = service.sessions.createLink();
  return {
    status: 201,
    body: { path: `/login?token=${link.token}`, token: link.token, expiresAt: new Date(link.expiresAt).toISOString() },
  };
};

function indexPage(session: Session | undefined): string {
  const template = files().get("index.html")?.body.toString("utf8") ?? "";
  return template
    .replace("<!--import-map-->", `<script type="importmap">${IMPORT_MAP_TAG}</script>`)
    .replace("<!--csrf-->", `<meta name="csrf-token" content="${escapeAttribute(session?.csrf ?? "")}">`);
}

/** GET / and GET /assets/<file>; false when the path is not the dashboard's (the caller answers 404). */
export function serveDashboard(
  request: IncomingMessage,
  response: ServerResponse,
  target: RequestTarget,
  method: string,
  session: Session | undefined,
): boolean {
  const [first, ...rest] = target.segments;
  const isPage = target.path === "/";
  if (!isPage && (first !== "assets" || rest.length === 0)) return false;
  if (method !== "GET" && method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD", "content-type": "application/json; charset=utf-8" });
    response.end(JSON.stringify({ error: `${method} is not allowed on ${target.path} (allowed: GET)` }));
    return true;
  }
  if (isPage) {
    sendHtml(response, 200, indexPage(session));
    return true;
  }
  const name = rest.join("/");
  const found = name === "index.html" ? undefined : files().get(name);
  if (!found) return false;
  if (request.headers["if-none-match"] === found.etag) {
    response.writeHead(304, { etag: found.etag });
    response.end();
    return true;
  }
  response.writeHead(200, {
    "content-type": found.type,
    "content-length": found.body.length,
    etag: found.etag,
    // Revalidated each load (a 304 is one round trip): an upgraded package's files show up at once.
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  response.end(method === "HEAD" ? undefined : found.body);
  return true;
}
