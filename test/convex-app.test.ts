// @vitest-environment edge-runtime
// The example app's service-authenticated wrappers (test/fixtures/convex-app): the secret is checked by the app, not the component.
import { makeFunctionReference } from "convex/server";
import { describe, expect, test, vi } from "vitest";
import { convexApp, SERVICE_SECRET, setUp } from "./convex-helpers.js";
import { copyFixture } from "./helpers.js";
import { event } from "./lease-protocol-suite.js";

/** Each worker call with arguments that pass validation, so only the secret can refuse it. */
const WORKER_CALLS: Record<string, Record<string, unknown>> = {
  claim: { request: { workerId: "w", capabilities: { runners: ["bun"], flows: "*" } } },
  heartbeat: { attemptId: 1, leaseToken: "t" },
  appendOutput: { attemptId: 1, leaseToken: "t", chunks: [] },
  complete: { attemptId: 1, leaseToken: "t", outcome: { status: "completed", result: null, error: null } },
};

describe("the example app's wrappers", () => {
  test("refuse a call with a wrong secret, and change nothing", async () => {
    const t = convexApp();
    const app = await setUp(t, copyFixture("backend-basic"), { leaseMs: 30_000, retryBackoffMs: 0 });
    const fire = makeFunctionReference<"mutation">("flows:fireEvent");
    await expect(t.mutation(fire, { secret: "guess", event: event("x", "demo.blocked") })).rejects.toThrow(
      /a valid service secret is required/,
    );
    await expect(t.mutation(fire, { secret: "", event: event("x", "demo.blocked") })).rejects.toThrow(
      /a valid service secret is required/,
    );
    for (const [name, args] of Object.entries(WORKER_CALLS)) {
      await expect(
        t.mutation(makeFunctionReference<"mutation">(`flows:${name}`), { secret: "guess", ...args }),
      ).rejects.toThrow(/a valid service secret is required/);
    }
    await expect(
      t.query(makeFunctionReference<"query">("flows:listEvents"), { secret: SERVICE_SECRET.slice(1) }),
    ).rejects.toThrow(/a valid service secret is required/);
    expect(await app.query("listEvents", {})).toEqual([]);
  });

  test("refuse a call without the secret argument", async () => {
    const t = convexApp();
    await expect(
      t.mutation(makeFunctionReference<"mutation">("flows:fireEvent"), { event: event("x", "demo.blocked") }),
    ).rejects.toThrow(/secret/);
  });

  test("refuse every call when the app has no secret configured", async () => {
    const t = convexApp();
    vi.stubEnv("CODEX_FLOW_CONVEX_SECRET", "");
    await expect(
      t.mutation(makeFunctionReference<"mutation">("flows:fireEvent"), {
        secret: "",
        event: event("x", "demo.blocked"),
      }),
    ).rejects.toThrow(/a valid service secret is required/);
  });

  test("pass a call with the secret through to the component", async () => {
    const t = convexApp();
    const app = await setUp(t, copyFixture("backend-basic"), { leaseMs: 30_000, retryBackoffMs: 0 });
    const answer = await app.mutation("fireEvent", { event: event("ok", "demo.blocked") });
    expect(answer).toMatchObject({ eventId: "ok", duplicate: false, runIds: [expect.any(String)] });
  });
});
