// The dashboard's login over HTTP: one-time links from `backend open`, session cookies, CSRF, and what stays 401.
import { request } from "node:http";
import { describe, expect, test } from "vitest";
import { api, startBackend } from "./backend-helpers.js";
import { copyFixture, runCli } from "./helpers.js";

const SECRET = "s3cret-for-dashboard-4c2a";

/** Runs `backend open --print` and returns the link it printed. */
async function loginLink(url: string, secret?: string): Promise<string> {
  const result = await runCli(["backend", "open", "--print", "--url", url, ...(secret ? ["--secret", secret] : [])]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim();
}

/** Follows a login link like a browser: the session cookie it sets, as a Cookie header value. */
async function logIn(link: string): Promise<{ status: number; cookie?: string; setCookie: string; html: string }> {
  const answer = await fetch(link, { redirect: "manual" });
  const setCookie = answer.headers.get("set-cookie") ?? "";
  return { status: answer.status, cookie: setCookie.split(";")[0] || undefined, setCookie, html: await answer.text() };
}

/** A GET naming another host in its Host header, as a page whose name was rebound to 127.0.0.1 sends (fetch cannot). */
function withHost(url: string, path: string, host: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, path, headers: { host } }, (answer) => {
      let body = "";
      answer.setEncoding("utf8").on("data", (text: string) => {
        body += text;
      });
      answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

async function csrfOf(url: string, cookie: string): Promise<string> {
  const page = await (await fetch(`${url}/`, { headers: { cookie, accept: "text/html" } })).text();
  const token = /name="csrf-token" content="([^"]*)"/.exec(page)?.[1];
  expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  return token as string;
}

describe("dashboard login with a secret", () => {
  test("a link from `backend open` becomes an HttpOnly SameSite=Strict session; it works once", async () => {
    const backend = await startBackend({
      project: copyFixture("dashboard"),
      env: { CODEX_FLOW_BACKEND_SECRET: SECRET },
    });
    const link = await loginLink(backend.url, SECRET);
    expect(link).toMatch(new RegExp(`^${backend.url}/login\\?token=[A-Za-z0-9_-]{40,}$`));
    expect(link).not.toContain(SECRET);

    const first = await logIn(link);
    expect(first.status).toBe(200);
    const port = new URL(backend.url).port;
    expect(first.setCookie).toMatch(
      new RegExp(`^codex_flows_session_${port}=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200$`),
    );
    // The page moves on to / by itself, so the token does not stay in the address bar.
    expect(first.html).toContain('http-equiv="refresh" content="0; url=/"');

    const again = await logIn(link);
    expect(again.status).toBe(401);
    expect(again.setCookie).toBe("");
    expect((await logIn(`${backend.url}/login?token=made-up-token`)).status).toBe(401);
    expect((await logIn(`${backend.url}/login`)).status).toBe(401);

    const cookie = first.cookie as string;
    const page = await fetch(`${backend.url}/`, { headers: { cookie, accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).toContain('<script type="importmap">');
    expect(html).not.toContain(SECRET);
    expect(backend.stderr() + backend.stdout()).not.toContain(SECRET);
    expect((await api(backend.url, "GET", "/events", undefined, { headers: { cookie } })).status).toBe(200);
    expect((await fetch(`${backend.url}/assets/vendor/preact.mjs`, { headers: { cookie } })).status).toBe(200);
  });

  test("without a session or signature everything stays 401; the page says how to log in", async () => {
    const backend = await startBackend({
      project: copyFixture("dashboard"),
      env: { CODEX_FLOW_BACKEND_SECRET: SECRET },
    });
    const json = await api(backend.url, "GET", "/");
    expect(json.status).toBe(401);
    expect(json.body.error).toMatch(/missing x-flow-signature-256/);
    const page = await fetch(`${backend.url}/`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain("codex-flows backend open");
    for (const path of ["/assets/app.js", "/assets/vendor/preact.mjs", "/events", "/runs"]) {
      expect([path, (await api(backend.url, "GET", path)).status]).toEqual([path, 401]);
    }
    const stale = "codex_flows_session_1=not-a-session";
    expect((await api(backend.url, "GET", "/events", undefined, { headers: { cookie: stale } })).status).toBe(401);
    // Minting a link needs a signed, single-use request: a replayed one is refused.
    expect((await api(backend.url, "POST", "/sessions/link", {})).status).toBe(401);
    const nonce = "dashboard-nonce-0123456789";
    expect((await api(backend.url, "POST", "/sessions/link", {}, { secret: SECRET, nonce })).status).toBe(201);
    expect((await api(backend.url, "POST", "/sessions/link", {}, { secret: SECRET, nonce })).status).toBe(401);
  });

  test("a POST with the cookie needs the CSRF token; the cookie never mints links or claims work", async () => {
    const backend = await startBackend({
      project: copyFixture("dashboard"),
      env: { CODEX_FLOW_BACKEND_SECRET: SECRET },
    });
    const { cookie } = await logIn(await loginLink(backend.url, SECRET));
    const headers = { cookie: cookie as string };
    const event = { id: "csrf-1", type: "demo.tick", payload: { count: 1, everyMs: 1 } };
    expect((await api(backend.url, "POST", "/events", event, { secret: SECRET })).status).toBe(202);

    const bare = await api(backend.url, "POST", "/events/csrf-1/replay", {}, { headers });
    expect(bare.status).toBe(403);
    expect(bare.body.error).toMatch(/x-csrf-token/);
    const wrong = await api(
      backend.url,
      "POST",
      "/events/csrf-1/replay",
      {},
      { headers: { ...headers, "x-csrf-token": "x".repeat(43) } },
    );
    expect(wrong.status).toBe(403);
    const csrf = await csrfOf(backend.url, headers.cookie);
    const right = await api(
      backend.url,
      "POST",
      "/events/csrf-1/replay",
      {},
      { headers: { ...headers, "x-csrf-token": csrf } },
    );
    expect(right.status).toBe(202);
    expect(right.body.replay).toBe(1);

    for (const path of ["/sessions/link", "/workers/claim", "/events"]) {
      const answer = await api(backend.url, "POST", path, path === "/events" ? event : {}, {
        headers: { ...headers, "x-csrf-token": csrf },
      });
      expect([path, answer.status]).toEqual([path, 401]);
    }
    // Another service's session (another port) is not this one's.
    const otherPort = headers.cookie.replace(/_\d+=/, "_1=");
    expect((await api(backend.url, "GET", "/events", undefined, { headers: { cookie: otherPort } })).status).toBe(401);
  });
});

describe("dashboard without a secret", () => {
  test("the page, its files and its POSTs just work; `backend open` prints the page's URL", async () => {
    const backend = await startBackend({ project: copyFixture("dashboard") });
    expect(await loginLink(backend.url)).toBe(`${backend.url}/`);
    const page = await fetch(`${backend.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<meta name="csrf-token" content="">');
    for (const name of ["app.js", "style.css", "vendor/preact.mjs", "vendor/hooks.mjs", "vendor/htm.mjs"]) {
      const file = await fetch(`${backend.url}/assets/${name}`);
      expect([name, file.status, file.headers.get("content-type")]).toEqual([
        name,
        200,
        name.endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
      ]);
      const etag = file.headers.get("etag") as string;
      expect((await fetch(`${backend.url}/assets/${name}`, { headers: { "if-none-match": etag } })).status).toBe(304);
    }
    // The vendor files are the installed ES modules (htm's CommonJS entry would not load in a browser).
    expect(await (await fetch(`${backend.url}/assets/vendor/htm.mjs`)).text()).toMatch(/export\s*\{|export default/);
    // Names an object has by inheritance are no files: 404, not a crash.
    for (const name of ["constructor", "__proto__", "toString"])
      expect((await fetch(`${backend.url}/assets/vendor/${name}`)).status).toBe(404);
    for (const path of [
      "/assets/index.html",
      "/assets/nope.js",
      "/assets/..%2Fpackage.json",
      "/assets/vendor/cac.mjs",
      "/assets/",
    ]) {
      expect([path, (await fetch(`${backend.url}${path}`)).status]).toEqual([path, 404]);
    }
    expect((await api(backend.url, "POST", "/")).status).toBe(405);
    // A login link from a service that had a secret before: without one, it just leads to the page.
    const login = await logIn(`${backend.url}/login?token=from-before`);
    expect([login.status, login.setCookie]).toEqual([200, ""]);
    expect(login.html).toContain('content="0; url=/"');
  });

  test("other web pages cannot drive it: a POST from another origin and a rebound host name are 403", async () => {
    const backend = await startBackend({ project: copyFixture("dashboard") });
    const { host } = new URL(backend.url);
    const event = { id: "origin-1", type: "demo.tick", payload: { count: 1, everyMs: 1 } };
    expect((await api(backend.url, "POST", "/events", event)).status).toBe(202);
    const foreign = await api(
      backend.url,
      "POST",
      "/events/origin-1/replay",
      {},
      {
        headers: { origin: "http://evil.example" },
      },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.body.error).toMatch(/another web page \(Origin http:\/\/evil\.example\)/);
    // Another port of the same host is another origin (another local service's page).
    const sibling = await api(
      backend.url,
      "POST",
      "/events/origin-1/replay",
      {},
      { headers: { origin: "http://127.0.0.1:1" } },
    );
    expect(sibling.status).toBe(403);
    const own = await api(
      backend.url,
      "POST",
      "/events/origin-1/replay",
      {},
      { headers: { origin: `http://${host}` } },
    );
    expect(own.status).toBe(202);
    const event1 = await api(backend.url, "GET", "/events/origin-1");
    expect(event1.body.event.replays).toBe(1);

    const rebound = await withHost(backend.url, "/events", "evil.example:80");
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/DNS rebinding/);
    expect((await withHost(backend.url, "/events", `localhost:${new URL(backend.url).port}`)).status).toBe(200);
  });

  test("`backend open` without a browser to start prints the link and exits 0", async () => {
    const backend = await startBackend({ project: copyFixture("dashboard") });
    for (const env of [
      { DISPLAY: "", WAYLAND_DISPLAY: "" },
      { DISPLAY: ":99", PATH: "/nonexistent" },
    ]) {
      const result = await runCli(["backend", "open", "--url", backend.url], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim()).toBe(`${backend.url}/`);
      expect(result.stderr).toContain("open this link in a browser");
    }
  });
});
