// @vitest-environment edge-runtime
// The Convex component's behaviour beyond the lease contract: intake, matching, chaining, expiry, cancel, retry, replay, queries.
import { EdgeVM } from "@edge-runtime/vm";
import { afterEach, describe, expect, test, vi } from "vitest";
import { MAX_CHAIN_DEPTH } from "../src/convex/component/settings.js";
import { ConvexLeaseProtocol } from "../src/convex/convex-lease-protocol.js";
import { DEFAULT_MAX_DEPTH } from "../src/engine/engine.js";
import { runIdFor } from "../src/store/ids.js";
import { CallRefusedError, type Claim } from "../src/wire/protocol.js";
import { convexApp, SERVICE_SECRET, setUp, testCaller } from "./convex-helpers.js";
import { copyFixture } from "./helpers.js";
import { event } from "./lease-protocol-suite.js";

type App = Awaited<ReturnType<typeof setUp>>;
const BUN = { runners: ["bun"], flows: "*" as const };

async function open(settings = { leaseMs: 30_000, retryBackoffMs: 0 }) {
  const t = convexApp();
  const app = await setUp(t, copyFixture("backend-basic"), settings);
  return { t, app };
}

async function claim(app: App, workerId = "w1"): Promise<Claim> {
  const claimed = await app.mutation<Claim | null>("claim", { request: { workerId, capabilities: BUN } });
  if (!claimed) throw new Error("nothing to claim");
  return claimed;
}

function complete(app: App, claimed: Claim, outcome: Record<string, unknown>) {
  return app.mutation<{ status: string; retrying: boolean; lost?: boolean }>("complete", {
    attemptId: claimed.attemptId,
    leaseToken: claimed.leaseToken,
    outcome: { result: null, error: null, ...outcome },
  });
}

interface RunView {
  status: string;
  error?: string;
  attemptCount: number;
  replay: number;
  chainWarnings?: string[];
  attempts: { number: number; status: string; error: string | null }[];
}

afterEach(() => {
  vi.useRealTimers();
});

describe("fireEvent", () => {
  test("is idempotent by event id: a duplicate returns the stored run ids and queues nothing", async () => {
    const { app } = await open();
    const first = await app.mutation<{ runIds: string[]; duplicate: boolean }>("fireEvent", {
      event: event("e1", "demo.echo", { message: "hi" }),
    });
    expect(first).toMatchObject({ duplicate: false });
    // The local backend's run ids: the same event gets the same run ids on both control planes.
    expect(first.runIds).toEqual([runIdFor("e1", "echo", "say"), runIdFor("e1", "echo", "shout")]);
    const again = await app.mutation("fireEvent", { event: event("e1", "demo.echo", { message: "other" }) });
    expect(again).toMatchObject({ duplicate: true, runIds: first.runIds });
    const many = await Promise.all(
      Array.from({ length: 25 }, () =>
        app.mutation("fireEvent", { event: event("e1", "demo.echo", { message: "hi" }) }),
      ),
    );
    for (const answer of many) expect(answer).toMatchObject({ duplicate: true, runIds: first.runIds });
    expect(await app.query<unknown[]>("listRuns", { eventId: "e1" })).toHaveLength(2);
  });

  test("queues one run per matching step and gives every other step its reason", async () => {
    const { app } = await open();
    const answer = await app.mutation<{ runIds: string[]; skipped: { flow: string; step: string; reason: string }[] }>(
      "fireEvent",
      { event: event("bad", "demo.echo", { message: 42 }) },
    );
    expect(answer.runIds).toEqual([]);
    const reasons = Object.fromEntries(answer.skipped.map((skip) => [`${skip.flow}/${skip.step}`, skip.reason]));
    expect(reasons["echo/say"]).toBe(
      'payload invalid at /message: Instance type "number" is invalid. Expected "string".',
    );
    expect(reasons["echo/shout"]).toBe(
      'payload invalid at /message: Instance type "number" is invalid. Expected "string".',
    );
    expect(reasons["attention/review"]).toBe('type differs: event is "demo.echo", step wants "demo.blocked"');
    expect(await app.query("getEvent", { eventId: "bad" })).toMatchObject({ runs: [], skipped: answer.skipped });
  });

  test("refuses an event that is not a FlowEvent, naming the field", async () => {
    const { app } = await open();
    await expect(app.mutation("fireEvent", { event: { id: "", type: "x" } })).rejects.toThrow(
      /event: not a valid FlowEvent: \/id/,
    );
  });
});

describe("chaining", () => {
  test("next events are fired by the completion with their parent id, up to the depth limit", async () => {
    const { app } = await open();
    await app.mutation("fireEvent", { event: event("root", "demo.chain") });
    let parent = "root";
    for (let depth = 1; depth <= MAX_CHAIN_DEPTH + 1; depth++) {
      const claimed = await claim(app);
      expect(claimed.eventId).toBe(parent);
      await complete(app, claimed, {
        status: "completed",
        result: { status: "completed", next: [{ type: "demo.chain" }] },
      });
      if (depth > MAX_CHAIN_DEPTH) {
        const run = await app.query<RunView>("getRun", { runId: claimed.runId });
        expect(run.chainWarnings).toEqual([`chain depth limit of ${MAX_CHAIN_DEPTH} reached; 1 next event(s) dropped`]);
        break;
      }
      const child = `${parent}:chain:relay:0`;
      expect(await app.query("getEvent", { eventId: child })).toMatchObject({ parentEventId: parent, depth });
      parent = child;
    }
    expect(await app.mutation("claim", { request: { workerId: "w1", capabilities: BUN } })).toBeNull();
  });

  test("a failed step fires nothing", async () => {
    const { app } = await open();
    await app.mutation("fireEvent", { event: event("f", "demo.chain") });
    const claimed = await claim(app);
    await complete(app, claimed, {
      status: "failed",
      error: "x",
      result: { status: "failed", next: [{ type: "demo.chain" }] },
    });
    expect(await app.query<unknown[]>("listEvents", {})).toHaveLength(1);
  });

  test("the local backend's depth limit is the component's", () => {
    expect(MAX_CHAIN_DEPTH).toBe(DEFAULT_MAX_DEPTH);
  });
});

describe("lease expiry (fake timers)", () => {
  test("a lapsed lease of a step with retries queues a retry after the backoff", async () => {
    vi.useFakeTimers();
    const { t, app } = await open({ leaseMs: 1_000, retryBackoffMs: 5_000 });
    await app.mutation("fireEvent", { event: event("f1", "demo.flaky") });
    const first = await claim(app, "sleepy");
    vi.advanceTimersByTime(1_001);
    await t.finishInProgressScheduledFunctions();
    const run = await app.query<RunView>("getRun", { runId: first.runId });
    expect(run).toMatchObject({
      status: "queued",
      attempts: [{ status: "interrupted", error: "interrupted: worker sleepy stopped heartbeating" }],
    });
    expect(await app.mutation("claim", { request: { workerId: "w2", capabilities: BUN } })).toBeNull();
    expect(await app.query("nextReadyAt", { capabilities: BUN })).toBeGreaterThan(Date.now());
    vi.advanceTimersByTime(5_000);
    expect(await claim(app, "w2")).toMatchObject({ runId: first.runId, attemptNumber: 2 });
  });

  test("a heartbeat keeps the lease; a lapsed lease of a step without retries fails the run as interrupted", async () => {
    vi.useFakeTimers();
    const { t, app } = await open({ leaseMs: 1_000, retryBackoffMs: 0 });
    await app.mutation("fireEvent", { event: event("b1", "demo.blocked") });
    const claimed = await claim(app, "sleepy");
    vi.advanceTimersByTime(800);
    await app.mutation("heartbeat", { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken });
    vi.advanceTimersByTime(300);
    await t.finishInProgressScheduledFunctions();
    expect(await app.query("getRun", { runId: claimed.runId })).toMatchObject({ status: "running" });
    vi.advanceTimersByTime(1_000);
    await t.finishInProgressScheduledFunctions();
    expect(await app.query("getRun", { runId: claimed.runId })).toMatchObject({
      status: "failed",
      error: "interrupted: worker sleepy stopped heartbeating",
    });
    const late = await app.mutation("heartbeat", { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken });
    expect(late).toEqual({ lost: true });
  });
});

describe("cancel, retry, replay", () => {
  test("a queued run is canceled at once; a running one on its worker's next heartbeat", async () => {
    const { app } = await open();
    const fired = await app.mutation<{ runIds: string[] }>("fireEvent", {
      event: event("c", "demo.echo", { message: "m" }),
    });
    const [say, shout] = fired.runIds as [string, string];
    const claimed = await claim(app);
    expect(claimed.runId).toBe(say);
    expect(await app.mutation("cancelRun", { runId: shout })).toEqual({ runId: shout, status: "canceled" });
    expect(await app.mutation("cancelRun", { runId: say })).toEqual({ runId: say, status: "running" });
    const beat = await app.mutation("heartbeat", { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken });
    expect(beat).toMatchObject({ cancelRequested: true });
    await complete(app, claimed, { status: "failed", error: "killed" });
    expect(await app.query("getRun", { runId: say })).toMatchObject({ status: "canceled" });
    await expect(app.mutation("cancelRun", { runId: "nope" })).rejects.toThrow(/cancelRun: no run "nope"/);
  });

  test("retryRun gives a failed run one more attempt; a running one cannot be retried", async () => {
    const { app } = await open();
    await app.mutation("fireEvent", { event: event("r", "demo.blocked") });
    const first = await claim(app);
    await expect(app.mutation("retryRun", { runId: first.runId })).rejects.toThrow(
      /is running; only a failed or canceled/,
    );
    await complete(app, first, { status: "failed", error: "boom" });
    expect(await app.mutation("retryRun", { runId: first.runId })).toMatchObject({
      status: "queued",
      attemptNumber: 2,
    });
    const second = await claim(app);
    expect(second).toMatchObject({ runId: first.runId, attemptNumber: 2, maxAttempts: 2 });
    await complete(app, second, { status: "completed", result: { status: "completed" } });
    expect(await app.query<RunView>("getRun", { runId: first.runId })).toMatchObject({
      status: "completed",
      attempts: [
        { number: 1, status: "failed" },
        { number: 2, status: "completed" },
      ],
    });
  });

  test("replayEvent queues a new run per matching step; its next events get replay ids", async () => {
    const { app } = await open();
    await app.mutation("fireEvent", { event: event("p", "demo.chain") });
    const first = await claim(app);
    await complete(app, first, { status: "completed", result: { status: "completed" } });
    const replayed = await app.mutation<{ runIds: string[]; replay: number }>("replayEvent", { eventId: "p" });
    expect(replayed.replay).toBe(1);
    expect(replayed.runIds).toEqual([runIdFor("p", "chain", "relay", 1)]);
    const again = await claim(app);
    expect(again).toMatchObject({ runId: replayed.runIds[0], eventId: "p", attemptNumber: 1 });
    await complete(app, again, {
      status: "completed",
      result: { status: "completed", next: [{ type: "demo.chain" }] },
    });
    expect(await app.query("getEvent", { eventId: "p:chain:relay:replay-1:0" })).toMatchObject({ parentEventId: "p" });
    await expect(app.mutation("replayEvent", { eventId: "missing" })).rejects.toThrow(/no event "missing" is stored/);
  });
});

describe("queries", () => {
  test("runs by status and by event; output in order and incrementally", async () => {
    const { app } = await open();
    await app.mutation("fireEvent", { event: event("q", "demo.echo", { message: "m" }) });
    const claimed = await claim(app);
    const ref = { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken };
    const chunk = (index: number, text: string) => ({ index, stream: "stdout", text, at: Date.now() });
    await app.mutation("appendOutput", { ...ref, chunks: [chunk(0, "a"), chunk(1, "b")] });
    const seen = await app.query<{ attemptId: number; index: number; text: string }[]>("readOutput", {
      runId: claimed.runId,
    });
    expect(seen.map((c) => c.text)).toEqual(["a", "b"]);
    await app.mutation("appendOutput", { ...ref, chunks: [chunk(2, "c")] });
    const last = seen.at(-1) as { attemptId: number; index: number };
    const newer = await app.query<{ text: string }[]>("readOutput", {
      runId: claimed.runId,
      after: { attemptId: last.attemptId, index: last.index },
    });
    expect(newer.map((c) => c.text)).toEqual(["c"]);
    expect((await app.query<unknown[]>("listRuns", { status: "running" })).length).toBe(1);
    expect((await app.query<unknown[]>("listRuns", { status: "queued" })).length).toBe(1);
    expect((await app.query<unknown[]>("listRuns", { eventId: "q", status: "running" })).length).toBe(1);
  });
});

test("the edge runtime refuses the code generation from strings that Ajv's compile needs", () => {
  // Why docs/convex.md says payload schemas are compiled with Ajv only where the runtime allows it.
  const vm = new EdgeVM();
  expect(
    vm.evaluate(`(() => { try { return new Function("return 1")(); } catch (error) { return String(error); } })()`),
  ).toMatch(/EvalError: Code generation from strings disallowed/);
});

test("lease tokens are 32 random hex digits, one per attempt", async () => {
  const { app } = await open();
  await app.mutation("fireEvent", { event: event("k", "demo.echo", { message: "m" }) });
  const [first, second] = [await claim(app), await claim(app)];
  expect(first.leaseToken).toMatch(/^[0-9a-f]{32}$/);
  expect(second.leaseToken).toMatch(/^[0-9a-f]{32}$/);
  expect(first.leaseToken).not.toBe(second.leaseToken);
  expect(second.attemptId).not.toBe(first.attemptId);
});

describe("refused calls", () => {
  test("a malformed FLOW_RESULT or an impossible chunk time is refused as such (CallRefusedError), and changes nothing", async () => {
    const { t, app } = await open();
    await app.mutation("fireEvent", { event: event("m", "demo.blocked") });
    const claimed = await claim(app);
    const ref = { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken };
    const transport = new ConvexLeaseProtocol({ caller: testCaller(t), secret: SERVICE_SECRET });
    const bad = transport.complete(ref, { status: "completed", result: { status: 7 } as never, error: null });
    await expect(bad).rejects.toBeInstanceOf(CallRefusedError);
    await expect(bad).rejects.toThrow(/"outcome.result" is not a valid FLOW_RESULT/);
    const late = transport.appendOutput(ref, [{ index: 0, stream: "stdout", text: "x", at: 1e300 }]);
    await expect(late).rejects.toThrow(/"chunks\[0\]\.at" must be a time in milliseconds/);
    expect(await app.query("getRun", { runId: claimed.runId })).toMatchObject({ status: "running", output: [] });
  });

  test("a FLOW_RESULT with keys Convex cannot store ($-keys, non-ASCII) is refused before it is sent, not resent forever", async () => {
    const { t, app } = await open();
    await app.mutation("fireEvent", { event: event("keys", "demo.blocked") });
    const claimed = await claim(app);
    const ref = { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken };
    const transport = new ConvexLeaseProtocol({ caller: testCaller(t), secret: SERVICE_SECRET });
    for (const artifacts of [{ $schema: "x" }, { "résumé.pdf": 1 }]) {
      const sent = transport.complete(ref, {
        status: "completed",
        result: { status: "completed", artifacts },
        error: null,
      });
      await expect(sent).rejects.toBeInstanceOf(CallRefusedError);
      await expect(sent).rejects.toThrow(/Convex cannot store it/);
    }
    // What the worker sends next, without the FLOW_RESULT, goes through.
    const answer = await transport.complete(ref, { status: "failed", result: null, error: "refused" });
    expect(answer).toMatchObject({ runId: claimed.runId, duplicate: false });
  });
});
