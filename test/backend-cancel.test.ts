// Canceling runs: a running step's whole process tree dies (grandchildren too); a queued run never starts.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { api, finishedRuns, processGone, slowPids, startBackend, tempDir } from "./backend-helpers.js";
import { runCli } from "./helpers.js";

describe("backend cancel", () => {
  test("cancel kills a running step, its SIGTERM-ignoring grandchild and an env -i setsid one, before it answers", async () => {
    const backend = await startBackend();
    const pidFile = join(tempDir(), "pids.json");
    const accepted = await api(backend.url, "POST", "/events", {
      id: "slow-1",
      type: "demo.slow",
      payload: { pidFile, escape: true },
    });
    const runId = accepted.body.runIds[0];
    const pids = await slowPids(pidFile);
    const tree = [pids.step, pids.grandchild, pids.escaped as number];
    expect(tree.map(processGone)).toEqual([false, false, false]);

    const canceled = await runCli(["backend", "cancel-run", runId, "--url", backend.url, "--json"]);
    expect(canceled.code).toBe(0);
    expect(JSON.parse(canceled.stdout).run).toMatchObject({ id: runId, status: "canceled", error: "canceled" });
    // The answer comes once the whole tree is dead, not up to 2 s before.
    expect(tree.map(processGone)).toEqual([true, true, true]);

    const { body } = await api(backend.url, "GET", `/runs/${runId}`);
    expect(body.run.attempts.map((a: { status: string }) => a.status)).toEqual(["canceled"]);
    expect(body.run.output.map((c: { text: string }) => c.text).join("")).toContain("started, grandchild");

    const again = await api(backend.url, "POST", `/runs/${runId}/cancel`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already canceled/);
  });

  test("a queued run is canceled before it starts", async () => {
    const backend = await startBackend({ args: ["--concurrency", "1"] });
    const pidFile = join(tempDir(), "pids.json");
    const busy = await api(backend.url, "POST", "/events", { id: "busy", type: "demo.slow", payload: { pidFile } });
    await slowPids(pidFile);
    const queued = await api(backend.url, "POST", "/events", { id: "waiting", type: "demo.blocked" });
    const runId = queued.body.runIds[0];
    expect((await api(backend.url, "GET", `/runs/${runId}`)).body.run.status).toBe("queued");

    const canceled = await api(backend.url, "POST", `/runs/${runId}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.run).toMatchObject({
      status: "canceled",
      attemptCount: 0,
      error: "canceled before it started",
    });

    const busyPids = await slowPids(pidFile);
    await api(backend.url, "POST", `/runs/${busy.body.runIds[0]}/cancel`);
    // The busy step's tree is gone before the test ends (its teardown kills the service, not the steps).
    expect([busyPids.step, busyPids.grandchild].map(processGone)).toEqual([true, true]);
    const [run] = await finishedRuns(backend.url, "waiting", 1);
    expect(run).toMatchObject({ status: "canceled", attemptCount: 0 });
    expect((await api(backend.url, "GET", "/runs?status=canceled")).body.runs).toHaveLength(2);
  });
});
