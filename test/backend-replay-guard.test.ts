// Signed requests that change state run once; Patch dispatchers' signature header names are accepted on intake.
import { describe, expect, test } from "vitest";
import { signBody, signRequest } from "../src/wire/signature.js";
import { api, finishedRuns, startBackend } from "./backend-helpers.js";
import { runCli } from "./helpers.js";

const SECRET = "replay-guard-secret-93c2";

describe("backend single-use signed requests", () => {
  test("a captured signed replay runs once, also after a restart; the CLI's own requests each carry a fresh nonce", async () => {
    const env = { CODEX_FLOW_BACKEND_SECRET: SECRET };
    const backend = await startBackend({ env });
    expect(
      (await api(backend.url, "POST", "/events", { id: "once", type: "demo.blocked" }, { secret: SECRET })).status,
    ).toBe(202);
    await finishedRuns(backend.url, "once", 1, { secret: SECRET });

    // One request, captured and sent three times.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = "captured-nonce-0123456789";
    const path = "/events/once/replay";
    const captured = {
      raw: "{}",
      headers: {
        "x-flow-timestamp": timestamp,
        "x-flow-nonce": nonce,
        "x-flow-signature-256": signRequest(SECRET, "POST", path, timestamp, "{}", nonce),
      },
    };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await api(backend.url, "POST", path, undefined, captured));
    expect(answers.map((answer) => answer.status)).toEqual([202, 401, 401]);
    expect(answers[1]?.body.error).toMatch(/already used \(its x-flow-nonce was seen within the last 300 s\)/);
    const replays = async (url: string) =>
      (await api(url, "GET", "/events/once", undefined, { secret: SECRET })).body.event.replays;
    expect(await replays(backend.url)).toBe(1);

    // Without a nonce a state-changing request is refused; a GET needs none.
    const bare = await api(backend.url, "POST", path, {}, { secret: SECRET, nonce: false });
    expect(bare.status).toBe(401);
    expect(bare.body.error).toMatch(/changes state, so it must be single-use: send a fresh random x-flow-nonce/);
    expect((await api(backend.url, "GET", "/events", undefined, { secret: SECRET, nonce: false })).status).toBe(200);
    // The nonce is signed: changing it breaks the signature.
    const forged = { ...captured, headers: { ...captured.headers, "x-flow-nonce": "another-nonce-0123456789" } };
    expect((await api(backend.url, "POST", path, undefined, forged)).status).toBe(401);

    // A restart does not reopen the window: the nonce is in the database.
    expect(await backend.stop()).toBe(0);
    const restarted = await startBackend({ project: backend.project, env });
    expect((await api(restarted.url, "POST", path, undefined, captured)).status).toBe(401);
    expect(await replays(restarted.url)).toBe(1);

    // The CLI signs each request with its own nonce, so the same command twice runs twice.
    for (const expected of [2, 3]) {
      const replayed = await runCli(["backend", "replay-event", "once", "--url", restarted.url, "--json"], { env });
      expect(replayed.code).toBe(0);
      expect(JSON.parse(replayed.stdout)).toMatchObject({ replay: expected });
    }
  });

  test("cancel is single-use too", async () => {
    const backend = await startBackend({ env: { CODEX_FLOW_BACKEND_SECRET: SECRET } });
    await api(backend.url, "POST", "/events", { id: "c", type: "demo.blocked" }, { secret: SECRET });
    const [run] = await finishedRuns(backend.url, "c", 1, { secret: SECRET });
    const path = `/runs/${run?.id}/cancel`;
    const first = await api(backend.url, "POST", path, {}, { secret: SECRET, nonce: "cancel-nonce-abcdefghijkl" });
    expect(first.status).toBe(409);
    const again = await api(backend.url, "POST", path, {}, { secret: SECRET, nonce: "cancel-nonce-abcdefghijkl" });
    expect(again.status).toBe(401);
    expect(again.body.error).toMatch(/already used/);
  });

  test.each(["x-patch-flow-signature-256", "x-patchbay-flow-signature-256"])(
    "event intake accepts %s as the signature header",
    async (name) => {
      const backend = await startBackend({ env: { CODEX_FLOW_BACKEND_SECRET: SECRET } });
      const raw = JSON.stringify({ id: `alias-${name}`, type: "nothing.listens" });
      const signed = await api(backend.url, "POST", "/events", undefined, {
        raw,
        headers: { [name]: signBody(SECRET, raw) },
      });
      expect(signed.status).toBe(202);
      const wrong = await api(backend.url, "POST", "/flow-events", undefined, {
        raw: raw.replace("alias", "other"),
        headers: { [name]: signBody("wrong", raw) },
      });
      expect(wrong.status).toBe(401);
      // Only on intake: elsewhere the alias is not the signature.
      const elsewhere = await api(backend.url, "POST", "/events/x/replay", undefined, {
        raw: "{}",
        headers: { [name]: signBody(SECRET, "{}") },
      });
      expect(elsewhere.status).toBe(401);
      expect(elsewhere.body.error).toMatch(/missing x-flow-signature-256/);
    },
  );
});
