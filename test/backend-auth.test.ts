// Signatures on every endpoint of a backend started with a secret; the secret never leaks.
import { describe, expect, test } from "vitest";
import { signRequest } from "../src/wire/signature.js";
import { api, finishedRuns, startBackend } from "./backend-helpers.js";
import { runCli } from "./helpers.js";

const SECRET = "s3cret-for-tests-7f1d";

describe("backend signatures", () => {
  test("every endpoint but /healthz needs the secret: missing and wrong are 401, right passes", async () => {
    const backend = await startBackend({ env: { CODEX_FLOW_BACKEND_SECRET: SECRET } });
    expect((await api(backend.url, "GET", "/healthz")).status).toBe(200);

    const event = { id: "auth-1", type: "demo.echo", payload: { message: "signed" } };
    const created = await api(backend.url, "POST", "/events", event, { secret: SECRET });
    expect(created.status).toBe(202);
    const [run] = await finishedRuns(backend.url, "auth-1", 2, { secret: SECRET });
    // The step never sees the service's secret.
    expect(run?.result.artifacts).toEqual({ secretVisible: false });

    const endpoints: [string, string, unknown, number][] = [
      ["GET", "/events", undefined, 200],
      ["GET", "/events?limit=5&type=demo.echo", undefined, 200],
      ["POST", "/events", event, 200],
      ["POST", "/flow-events", event, 200],
      ["GET", "/events/auth-1", undefined, 200],
      ["POST", "/events/auth-1/replay", {}, 202],
      ["GET", "/runs?eventId=auth-1", undefined, 200],
      ["GET", `/runs/${run?.id}`, undefined, 200],
      ["GET", `/runs/${run?.id}/output?limit=5`, undefined, 200],
      ["GET", "/events?parent=auth-1", undefined, 200],
      ["POST", `/runs/${run?.id}/cancel`, {}, 409],
    ];
    for (const [method, path, body, expected] of endpoints) {
      const missing = await api(backend.url, method, path, body);
      expect([method, path, missing.status]).toEqual([method, path, 401]);
      expect(missing.body.error).toMatch(/missing x-flow-signature-256/);
      const wrong = await api(backend.url, method, path, body, { secret: "not-the-secret" });
      expect([method, path, wrong.status]).toEqual([method, path, 401]);
      expect(wrong.body.error).toMatch(/does not match/);
      const right = await api(backend.url, method, path, body, { secret: SECRET });
      expect([method, path, right.status]).toEqual([method, path, expected]);
    }

    // Webhook style: a POST signed over its raw body alone.
    const webhook = await api(backend.url, "POST", "/events", { ...event, id: "auth-2" }, { bodySecret: SECRET });
    expect(webhook.status).toBe(202);
    const wrongBody = await api(backend.url, "POST", "/events", { ...event, id: "auth-3" }, { bodySecret: "nope" });
    expect(wrongBody.status).toBe(401);
    const webhookAlias = await api(
      backend.url,
      "POST",
      "/flow-events",
      { ...event, id: "auth-4" },
      { bodySecret: SECRET },
    );
    expect(webhookAlias.status).toBe(202);
    // A body signature binds nothing but the body, so one captured body and signature could be sent
    // anywhere, forever: only the event endpoints (idempotent by id) take it; replay and cancel do not.
    const replays = async () =>
      (await api(backend.url, "GET", "/events/auth-1", undefined, { secret: SECRET })).body.event.replays;
    const replaysBefore = await replays();
    for (const path of ["/events/auth-1/replay", `/runs/${run?.id}/cancel`, "/events/auth-1"]) {
      const bodyOnly = await api(backend.url, "POST", path, {}, { bodySecret: SECRET });
      expect([path, bodyOnly.status]).toEqual([path, 401]);
      expect(bodyOnly.body.error).toMatch(/needs a request signature \(x-flow-timestamp/);
    }
    expect(await replays()).toBe(replaysBefore);
    // A GET cannot use the body scheme, and a request signature is bound to its path and time.
    const bodyGet = await api(backend.url, "GET", "/events", undefined, { bodySecret: SECRET });
    expect(bodyGet.status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const old = await api(backend.url, "GET", "/events", undefined, {
      headers: { "x-flow-timestamp": stale, "x-flow-signature-256": signRequest(SECRET, "GET", "/events", stale) },
    });
    expect(old.status).toBe(401);
    expect(old.body.error).toMatch(/x-flow-timestamp/);
    const now = String(Math.floor(Date.now() / 1000));
    const otherPath = await api(backend.url, "GET", "/runs", undefined, {
      headers: { "x-flow-timestamp": now, "x-flow-signature-256": signRequest(SECRET, "GET", "/events", now) },
    });
    expect(otherPath.status).toBe(401);

    // Rejected requests stored nothing.
    const events = await api(backend.url, "GET", "/events", undefined, { secret: SECRET });
    expect(events.body.events.map((e: { id: string }) => e.id).sort()).toEqual(["auth-1", "auth-2", "auth-4"]);

    // The CLI signs its own requests; without the secret it says why it was refused.
    const listed = await runCli(["backend", "list-events", "--url", backend.url, "--json"], {
      env: { CODEX_FLOW_BACKEND_SECRET: SECRET },
    });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).events).toHaveLength(3);
    const refused = await runCli(["backend", "list-events", "--url", backend.url], {
      env: { CODEX_FLOW_BACKEND_SECRET: "" },
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/missing x-flow-signature-256.*--secret/);
    const wrongCli = await runCli(["backend", "show-event", "auth-1", "--url", backend.url, "--secret", "0x10"]);
    expect(wrongCli.code).toBe(1);
    expect(wrongCli.stderr).toMatch(/does not match/);

    await backend.stop();
    for (const text of [backend.stdout(), backend.stderr(), listed.stdout, listed.stderr, refused.stderr]) {
      expect(text).not.toContain(SECRET);
    }
  });

  test("refuses a non-loopback host without a secret unless --insecure", async () => {
    const refused = await runCli(["backend", "serve", "--host", "0.0.0.0", "--port", "0"], {
      env: { CODEX_FLOW_BACKEND_SECRET: "" },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without a secret.*--insecure/);
  });
});
