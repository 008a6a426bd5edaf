// @vitest-environment edge-runtime
// End to end over Convex: `codex-flows worker`'s loop with the Convex transport runs real Bun steps leased from the example app.
import { describe, expect, test } from "vitest";
import { workerCommand } from "../src/cli/worker.js";
import { resolveWorkerConfig } from "../src/cli/worker-config.js";
import { ConvexLeaseProtocol } from "../src/convex/convex-lease-protocol.js";
import { convexApp, SERVICE_SECRET, setUp, testCaller } from "./convex-helpers.js";
import { copyFixture, tempDir } from "./helpers.js";
import { event } from "./lease-protocol-suite.js";

interface RunView {
  flow: string;
  step: string;
  status: string;
  resultStatus?: string;
  result: { status: string; message?: string } | null;
  output: { stream: string; text: string }[];
  attempts: { workerId: string; status: string }[];
}

describe("worker --convex", () => {
  test("runs a real Bun step; its output streams into flowOutputEvents and the run completes with its FLOW_RESULT", async () => {
    const t = convexApp();
    const project = copyFixture("backend-basic");
    const app = await setUp(t, project, { leaseMs: 30_000, retryBackoffMs: 0 });
    const fired = await app.mutation<{ runIds: string[] }>("fireEvent", {
      event: event("hello", "demo.echo", { message: "hi from convex" }),
    });
    expect(fired.runIds).toHaveLength(2);
    const config = resolveWorkerConfig(
      {
        cwd: project,
        once: true,
        workerId: "convex-worker",
        stateDir: tempDir(),
        convex: "https://example-app.convex.cloud",
        convexSecret: SERVICE_SECRET,
      },
      {},
    );
    expect(config.convex).toEqual({ url: "https://example-app.convex.cloud", secret: SERVICE_SECRET, module: "flows" });
    const transport = new ConvexLeaseProtocol({ caller: testCaller(t), secret: SERVICE_SECRET, module: "flows" });
    expect(await workerCommand(config, undefined, transport)).toBe(0);
    const runs = await Promise.all(fired.runIds.map((runId) => app.query<RunView>("getRun", { runId })));
    const say = runs.find((run) => run.step === "say") as RunView;
    expect(say).toMatchObject({
      status: "completed",
      resultStatus: "completed",
      result: { status: "completed", message: "hi from convex" },
      attempts: [{ workerId: "convex-worker", status: "completed" }],
    });
    expect(say.output.map((chunk) => chunk.text).join("")).toContain("said: hi from convex");
    expect(say.output.some((chunk) => chunk.stream === "stderr" && chunk.text.includes("note: run"))).toBe(true);
    for (const run of runs) expect(run.status).toBe("completed");
  });

  test("a step's next events are fired by its completion and run in turn", async () => {
    const t = convexApp();
    const project = copyFixture("backend-basic");
    const app = await setUp(t, project, { leaseMs: 30_000, retryBackoffMs: 0 });
    await app.mutation("fireEvent", { event: event("relay-me", "demo.chain", { message: "onward" }) });
    const config = resolveWorkerConfig(
      {
        cwd: project,
        once: true,
        workerId: "w",
        stateDir: tempDir(),
        convex: "https://x.convex.cloud",
        convexSecret: "s",
      },
      {},
    );
    const transport = new ConvexLeaseProtocol({ caller: testCaller(t), secret: SERVICE_SECRET });
    expect(await workerCommand(config, undefined, transport)).toBe(0);
    const child = await app.query<{ parentEventId: string; depth: number; runs: { runId: string }[] }>("getEvent", {
      eventId: "relay-me:chain:relay:0",
    });
    expect(child).toMatchObject({ parentEventId: "relay-me", depth: 1 });
    expect(child.runs).toHaveLength(2);
    // `--once` stopped claiming when the queue was empty, before the relay completed: a second worker takes them.
    expect(await workerCommand(config, undefined, transport)).toBe(0);
    const say = await app.query<RunView>("getRun", { runId: (child.runs[0] as { runId: string }).runId });
    expect(say).toMatchObject({ status: "completed", result: { message: "relayed onward" } });
  });
});

describe("worker --convex settings", () => {
  test("need the service secret, and exclude --url", () => {
    expect(() => resolveWorkerConfig({ convex: "https://a.convex.cloud" }, {})).toThrow(
      /--convex needs the app's service secret: --convex-secret or CODEX_FLOW_CONVEX_SECRET/,
    );
    expect(() =>
      resolveWorkerConfig({ convex: "https://a.convex.cloud", convexSecret: "s", url: "http://127.0.0.1:1" }, {}),
    ).toThrow(/--url and --convex name two control planes/);
    expect(() => resolveWorkerConfig({ convex: "not a url", convexSecret: "s" }, {})).toThrow(
      /--convex is not a Convex deployment URL/,
    );
    const fromEnv = resolveWorkerConfig(
      {},
      {
        CODEX_FLOW_CONVEX_URL: "https://b.convex.cloud/",
        CODEX_FLOW_CONVEX_SECRET: "s",
        CODEX_FLOW_CONVEX_MODULE: "ops/flows",
      },
    );
    expect(fromEnv.convex).toEqual({ url: "https://b.convex.cloud", secret: "s", module: "ops/flows" });
    expect(resolveWorkerConfig({}, {}).convex).toBeUndefined();
  });

  test("a wrong secret is reported as such", async () => {
    const t = convexApp();
    const transport = new ConvexLeaseProtocol({ caller: testCaller(t), secret: "wrong" });
    await expect(transport.claim({ workerId: "w", capabilities: { runners: ["bun"], flows: "*" } })).rejects.toThrow(
      /the Convex app refused flows:claim: its service secret differs/,
    );
  });
});
