// @vitest-environment edge-runtime
// Convex claims at scale: a claim reads only runs it can take (a backlog for others stays unread), and attempt ids need no shared counter.
import { describe, expect, test } from "vitest";
import { attemptIdFor } from "../src/convex/component/tokens.js";
import type { Claim } from "../src/wire/protocol.js";
import { convexApp, setUp } from "./convex-helpers.js";
import { copyFixture, writeFiles } from "./helpers.js";
import { event } from "./lease-protocol-suite.js";

/** Far below a deployment's 32,000, so a claim that scans the backlog fails here as it would there. */
const READ_LIMIT = 100;
const BACKLOG = 3 * READ_LIMIT;

/** backend-basic plus a flow of another runner (code-mode), whose runs a bun-only worker cannot take. */
function projectWithOtherRunner(): string {
  return writeFiles(copyFixture("backend-basic"), {
    "flows/agent/flow.toml": [
      'name = "agent"',
      "version = 1",
      "",
      "[[steps]]",
      'name = "think"',
      'runner = "code-mode"',
      'script = "exec/think.ts"',
      "",
      "[steps.trigger]",
      'type = "demo.agent"',
      "",
    ].join("\n"),
    "flows/agent/exec/think.ts": "result({ status: 'completed' });\n",
  });
}

async function open() {
  const t = convexApp({ documentsRead: READ_LIMIT });
  const app = await setUp(t, projectWithOtherRunner(), { leaseMs: 30_000, retryBackoffMs: 0 });
  return { t, app };
}

describe("a claim with a large backlog it cannot take", () => {
  test("finds its run past other runners' and other flows' queued runs, within the read limit", async () => {
    const { app } = await open();
    for (let index = 0; index < BACKLOG; index++) {
      await app.mutation("fireEvent", { event: event(`agent-${index}`, "demo.agent") });
      await app.mutation("fireEvent", { event: event(`blocked-${index}`, "demo.blocked") });
    }
    await app.mutation("fireEvent", { event: event("mine", "demo.echo", { message: "m" }) });
    const bunEchoOnly = { runners: ["bun"], flows: ["echo"] };
    // Older backlog of both kinds is ready first: a scan in queue order reads all of it.
    expect(await app.query("nextReadyAt", { capabilities: bunEchoOnly })).toBeLessThanOrEqual(Date.now());
    const claimed = await app.mutation<Claim | null>("claim", {
      request: { workerId: "w1", capabilities: bunEchoOnly },
    });
    expect(claimed).toMatchObject({ eventId: "mine", flow: "echo", step: "say" });
    // A bun worker of any flow skips the code-mode backlog and takes the oldest bun run.
    const anyBunFlow = await app.mutation<Claim | null>("claim", {
      request: { workerId: "w1", capabilities: { runners: ["bun"], flows: "*" } },
    });
    expect(anyBunFlow).toMatchObject({ eventId: "blocked-0", flow: "attention" });
    // Excluded runs are stepped over, not a reason to scan.
    const exclude = [(claimed as Claim).runId];
    const shout = await app.mutation<Claim | null>("claim", {
      request: { workerId: "w1", capabilities: bunEchoOnly, exclude },
    });
    expect(shout).toMatchObject({ eventId: "mine", step: "shout" });
    expect(await app.mutation("claim", { request: { workerId: "w1", capabilities: bunEchoOnly } })).toBeNull();
    expect(await app.query("nextReadyAt", { capabilities: bunEchoOnly })).toBeNull();
  });

  test("takes the oldest ready run across its runners and flows", async () => {
    const { app } = await open();
    await app.mutation("fireEvent", { event: event("a1", "demo.agent") });
    await app.mutation("fireEvent", { event: event("b1", "demo.blocked") });
    await app.mutation("fireEvent", { event: event("e1", "demo.echo", { message: "m" }) });
    const both = { runners: ["bun", "code-mode"], flows: ["echo", "attention", "agent"] };
    const order = [];
    for (let index = 0; index < 4; index++) {
      const claimed = await app.mutation<Claim | null>("claim", { request: { workerId: "w1", capabilities: both } });
      order.push(`${claimed?.flow}/${claimed?.step}`);
    }
    expect(order).toEqual(["agent/think", "attention/review", "echo/say", "echo/shout"]);
  });
});

describe("attempt ids", () => {
  test("are derived from the run and the attempt number: unique across retries, replays and runs", async () => {
    const { app } = await open();
    const fired = await app.mutation<{ runIds: string[] }>("fireEvent", { event: event("f", "demo.flaky") });
    await app.mutation("fireEvent", { event: event("e", "demo.echo", { message: "m" }) });
    const ids: number[] = [];
    const claimAndFail = async () => {
      const claimed = await app.mutation<Claim | null>("claim", {
        request: { workerId: "w1", capabilities: { runners: ["bun"], flows: ["flaky"] } },
      });
      if (!claimed) throw new Error("nothing to claim");
      expect(claimed.attemptId).toBe(await attemptIdFor(claimed.runId, claimed.attemptNumber));
      ids.push(claimed.attemptId);
      await app.mutation("complete", {
        attemptId: claimed.attemptId,
        leaseToken: claimed.leaseToken,
        outcome: { status: "failed", result: null, error: "boom" },
      });
      return claimed;
    };
    // Three automatic attempts (retries = 2), one by hand, then a replay's run with its own.
    for (let attempt = 1; attempt <= 3; attempt++)
      expect(await claimAndFail()).toMatchObject({ attemptNumber: attempt });
    await app.mutation("retryRun", { runId: fired.runIds[0] });
    expect(await claimAndFail()).toMatchObject({ attemptNumber: 4 });
    await app.mutation("replayEvent", { eventId: "f" });
    expect(await claimAndFail()).toMatchObject({ attemptNumber: 1 });
    for (let index = 0; index < 2; index++) {
      const echo = await app.mutation<Claim | null>("claim", {
        request: { workerId: "w1", capabilities: { runners: ["bun"], flows: ["echo"] } },
      });
      ids.push((echo as Claim).attemptId);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      expect(Number.isSafeInteger(id) && id > 0).toBe(true);
      expect(String(id).length).toBeLessThanOrEqual(15);
    }
  });

  test("ids do not grow, so readOutput's `after` reads on in attempt order, not by comparing ids", async () => {
    const { app } = await open();
    // This event's run gets ids that fall: its third attempt's is the smallest.
    await app.mutation("fireEvent", { event: event("order", "demo.flaky") });
    const flaky = { runners: ["bun"], flows: ["flaky"] };
    const texts: string[] = [];
    const attempts: Claim[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = (await app.mutation<Claim | null>("claim", {
        request: { workerId: "w1", capabilities: flaky },
      })) as Claim;
      attempts.push(claimed);
      const text = `try ${attempt}\n`;
      texts.push(text);
      const ref = { attemptId: claimed.attemptId, leaseToken: claimed.leaseToken };
      await app.mutation("appendOutput", { ...ref, chunks: [{ index: 0, stream: "stdout", text, at: Date.now() }] });
      await app.mutation("complete", { ...ref, outcome: { status: "failed", result: null, error: "boom" } });
    }
    const runId = attempts[0]?.runId;
    const ids = attempts.map((claimed) => claimed.attemptId);
    expect([...ids].sort((a, b) => a - b)).not.toEqual(ids);
    for (const [position, claimed] of attempts.entries()) {
      const after = { attemptId: claimed.attemptId, index: 0 };
      const newer = await app.query<{ text: string }[]>("readOutput", { runId, after });
      expect(newer.map((chunk) => chunk.text)).toEqual(texts.slice(position + 1));
    }
    const all = await app.query<{ text: string }[]>("readOutput", { runId });
    expect(all.map((chunk) => chunk.text)).toEqual(texts);
  });

  test("a derivation that collides is salted: each salt gives another id for the same attempt", async () => {
    const base = await attemptIdFor("run_0123456789abcdef01234567", 1);
    expect(await attemptIdFor("run_0123456789abcdef01234567", 1)).toBe(base);
    const others = await Promise.all([1, 2, 3].map((salt) => attemptIdFor("run_0123456789abcdef01234567", 1, salt)));
    expect(new Set([base, ...others]).size).toBe(4);
    expect(await attemptIdFor("run_0123456789abcdef01234567", 2)).not.toBe(base);
  });
});
