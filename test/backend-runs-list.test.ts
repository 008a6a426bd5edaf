// GET /runs for the dashboard's runs page: the flow filter, and each run's worker (its newest attempt's).
import { describe, expect, test } from "vitest";
import { api, finishedRuns, type Run, startBackend } from "./backend-helpers.js";

describe("GET /runs", () => {
  test("?flow= keeps that flow's runs; each run names the worker of its newest attempt", async () => {
    const backend = await startBackend();
    await api(backend.url, "POST", "/events", { id: "list-echo", type: "demo.echo", payload: { message: "hi" } });
    await api(backend.url, "POST", "/events", { id: "list-attention", type: "demo.blocked", payload: {} });
    await finishedRuns(backend.url, "list-echo", 2);
    await finishedRuns(backend.url, "list-attention", 1);

    const echo = await api<{ runs: Run[] }>(backend.url, "GET", "/runs?flow=echo");
    expect(echo.body.runs.map((run) => `${run.flow}/${run.step}`).sort()).toEqual(["echo/say", "echo/shout"]);
    expect((await api<{ runs: Run[] }>(backend.url, "GET", "/runs?flow=nope")).body.runs).toEqual([]);
    const all = await api<{ runs: Run[] }>(backend.url, "GET", "/runs");
    expect(all.body.runs).toHaveLength(3);
    const detail = await api(backend.url, "GET", `/runs/${all.body.runs[0]?.id}`);
    for (const run of all.body.runs) expect(run.workerId).toMatch(/^local:/);
    expect(all.body.runs[0]?.workerId).toBe(detail.body.run.attempts.at(-1).workerId);
  });

  test("a run no worker has claimed has workerId null", async () => {
    const backend = await startBackend({ args: ["--concurrency", "0"] });
    await api(backend.url, "POST", "/events", { id: "list-queued", type: "demo.blocked", payload: {} });
    const { body } = await api<{ runs: Run[] }>(backend.url, "GET", "/runs?flow=attention&status=queued");
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]?.workerId).toBeNull();
  });
});
