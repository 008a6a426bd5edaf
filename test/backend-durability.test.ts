// Durability: idempotency under concurrent duplicates, kill -9 and restart, SIGTERM grace, backup and restore.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { claimRun } from "../src/store/claim-run.js";
import { eventFilePath } from "../src/store/event-files.js";
import { insertEvent } from "../src/store/insert-event.js";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import {
  api,
  eventually,
  finishedRuns,
  processGone,
  rawConnection,
  slowPids,
  startBackend,
  tempDir,
} from "./backend-helpers.js";
import { runCli } from "./helpers.js";

describe("backend durability", () => {
  test("200 concurrent duplicate POSTs store one event and one run per matching step", async () => {
    const backend = await startBackend();
    const event = { id: "same", type: "demo.echo", payload: { message: "once" } };
    const answers = await Promise.all(Array.from({ length: 200 }, () => api(backend.url, "POST", "/events", event)));
    const accepted = answers.filter((answer) => answer.body.status === "accepted");
    const duplicates = answers.filter((answer) => answer.body.status === "duplicate");
    expect(accepted).toHaveLength(1);
    expect(accepted[0]?.status).toBe(202);
    expect(duplicates).toHaveLength(199);
    const runIds = accepted[0]?.body.runIds;
    expect(runIds).toHaveLength(2);
    for (const duplicate of duplicates) expect(duplicate.body.runIds).toEqual(runIds);

    const runs = await finishedRuns(backend.url, "same", 2);
    expect(runs.map((run) => run.attemptCount)).toEqual([1, 1]);
    expect((await api(backend.url, "GET", "/events")).body.events).toHaveLength(1);
    expect((await api(backend.url, "GET", "/runs")).body.runs).toHaveLength(2);
  });

  test("kill -9 while a step runs; restart marks the run interrupted, keeps the event, kills the orphans, replays", async () => {
    const first = await startBackend();
    const pidFile = join(tempDir(), "pids.json");
    const event = { id: "crash:me", type: "demo.slow", payload: { pidFile, ms: 3000 } };
    const accepted = await api(first.url, "POST", "/events", event);
    const runId = accepted.body.runIds[0];
    const pids = await slowPids(pidFile);
    await first.stop("SIGKILL");

    const second = await startBackend({ project: first.project, dataDir: first.dataDir });
    const { body } = await api(second.url, "GET", `/runs/${runId}`);
    expect(body.run).toMatchObject({
      status: "failed",
      error: "interrupted: the service stopped while the step was running",
    });
    expect(body.run.attempts.map((a: { status: string }) => a.status)).toEqual(["interrupted"]);
    expect(second.stderr()).toMatch(/recovered 1 interrupted run/);
    await eventually(() => processGone(pids.step) && processGone(pids.grandchild), 10_000, "the orphaned step to die");

    const stored = await api(second.url, "GET", `/events/${encodeURIComponent("crash:me")}`);
    expect(stored.body.event.event).toMatchObject(event);
    expect(JSON.parse(readFileSync(eventFilePath(first.dataDir, "crash:me"), "utf8"))).toMatchObject(event);

    const replay = await api(second.url, "POST", `/events/${encodeURIComponent("crash:me")}/replay`, { wait: true });
    expect(replay.status).toBe(200);
    expect(replay.body.runs).toMatchObject([{ status: "completed", replay: 1, result: { message: "slept 3000 ms" } }]);
  });

  test("a step with retries = N is requeued after a crash and runs again", async () => {
    const first = await startBackend({ args: ["--retry-backoff-ms", "10"] });
    const pidFile = join(tempDir(), "pids.json");
    await api(first.url, "POST", "/events", {
      id: "retry-me",
      type: "demo.slow-retry",
      payload: { pidFile, ms: 1500 },
    });
    await slowPids(pidFile);
    await first.stop("SIGKILL");
    const second = await startBackend({
      project: first.project,
      dataDir: first.dataDir,
      args: ["--retry-backoff-ms", "10"],
    });
    expect(second.stderr()).toMatch(/-> queued/);
    const [run] = await finishedRuns(second.url, "retry-me", 1);
    expect(run).toMatchObject({ status: "completed", attemptCount: 2, maxAttempts: 2, runner: "bun" });
    const { body } = await api(second.url, "GET", `/runs/${run?.id}`);
    expect(body.run.attempts.map((a: { status: string }) => a.status)).toEqual(["interrupted", "completed"]);
  });

  test("a lease nobody renews expires while the service runs: the run fails as interrupted", async () => {
    const backend = await startBackend({ args: ["--lease-ms", "400"] });
    // A remote worker (another process on the same store) claims a run, then goes silent.
    const db = await openStore(join(backend.dataDir, DATABASE_FILE));
    const { runIds } = insertEvent(db, {
      event: { id: "remote", type: "demo.blocked", receivedAt: new Date().toISOString(), payload: {} },
      runs: [{ flow: "attention", step: "review", maxAttempts: 1, runner: "bun" }],
      skipped: [],
      now: Date.now(),
    });
    expect(claimRun(db, { workerId: "remote:test-worker", leaseMs: 300, now: Date.now() })?.runId).toBe(runIds[0]);
    db.close();
    const run = await eventually(async () => {
      const { body } = await api(backend.url, "GET", `/runs/${runIds[0]}`);
      return body.run.status === "failed" ? body.run : undefined;
    });
    expect(run).toMatchObject({
      error: "interrupted: worker remote:test-worker stopped heartbeating",
      attempts: [{ workerId: "remote:test-worker", status: "interrupted" }],
    });
  });

  test("SIGTERM lets a running step finish within the grace period", async () => {
    const backend = await startBackend({ args: ["--grace-ms", "20000"] });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "finish", type: "demo.slow", payload: { pidFile, ms: 800 } });
    await slowPids(pidFile);
    expect(await backend.stop("SIGTERM")).toBe(0);
    const restarted = await startBackend({ project: backend.project, dataDir: backend.dataDir });
    const [run] = (await api(restarted.url, "GET", "/runs?eventId=finish")).body.runs;
    expect(run).toMatchObject({ status: "completed", result: { message: "slept 800 ms" } });
  });

  test("SIGTERM past the grace period kills the step and marks it interrupted", async () => {
    const backend = await startBackend({ args: ["--grace-ms", "300"] });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "late", type: "demo.slow", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    expect(await backend.stop("SIGTERM")).toBe(0);
    expect(backend.stderr()).toMatch(/SIGTERM: no new work/);
    await eventually(() => processGone(pids.step) && processGone(pids.grandchild), 10_000, "the step to die");
    const restarted = await startBackend({ project: backend.project, dataDir: backend.dataDir });
    const [run] = (await api(restarted.url, "GET", "/runs?eventId=late")).body.runs;
    expect(run).toMatchObject({
      status: "failed",
      error: "interrupted: the service stopped before the step finished",
    });
  });

  test("backup while the service runs restores into a working service", async () => {
    const backend = await startBackend();
    const odd = "patchbay:source:entry:upstream.release";
    await api(backend.url, "POST", "/events", { id: odd, type: "demo.echo", payload: { message: "keep me" } });
    await api(backend.url, "POST", "/events", { id: "second", type: "demo.blocked" });
    await finishedRuns(backend.url, odd, 2);
    await finishedRuns(backend.url, "second", 1);

    const out = join(tempDir(), "backup");
    const made = await runCli(["backend", "backup", "--out", out, "--data-dir", backend.dataDir, "--json"]);
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ events: 2, rebuilt: 0 });
    expect(existsSync(eventFilePath(out, odd))).toBe(true);
    // The live service keeps going meanwhile.
    expect((await api(backend.url, "POST", "/events", { id: "later", type: "nothing" })).status).toBe(202);
    const again = await runCli(["backend", "backup", "--out", out, "--data-dir", backend.dataDir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already holds a database/);
    await backend.stop();

    const restored = await startBackend({ project: backend.project, dataDir: out });
    const events = (await api(restored.url, "GET", "/events")).body.events.map((e: { id: string }) => e.id);
    expect(events).toEqual(["second", odd]);
    const runs = (await api(restored.url, "GET", `/runs?eventId=${encodeURIComponent(odd)}`)).body.runs;
    expect(runs.map((run: { status: string }) => run.status)).toEqual(["completed", "completed"]);
    const replay = await api(restored.url, "POST", `/events/${encodeURIComponent(odd)}/replay`, { wait: true });
    expect(replay.body.runs.map((run: { status: string }) => run.status)).toEqual(["completed", "completed"]);
    const shown = await api(restored.url, "GET", `/runs/${replay.body.runIds[0]}`);
    expect(shown.body.run.output.map((c: { text: string }) => c.text).join("")).toContain("said: keep me");
  });
});

describe("shutdown", () => {
  test("a request whose body is still arriving when SIGTERM comes gets 503, and nothing is stored", async () => {
    const backend = await startBackend({ args: ["--grace-ms", "20000"] });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "busy", type: "demo.slow", payload: { pidFile, ms: 1500 } });
    await slowPids(pidFile);

    // Headers and half the body go out before the signal, so the connection is busy, not idle, and
    // the server's close() leaves it open; the request completes after the service began stopping.
    const body = JSON.stringify({ id: "too-late", type: "demo.echo", payload: { message: "x" } });
    const { hostname } = new URL(backend.url);
    const { socket, answer } = rawConnection(backend.url);
    socket.write(
      `POST /events HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await sleep(100);
    const exited = backend.stop("SIGTERM");
    await eventually(() => /SIGTERM: no new work/.test(backend.stderr()) || undefined, 5_000, "the SIGTERM log line");
    socket.write(body.slice(10));
    await eventually(() => answer().includes("\r\n\r\n{") || undefined, 5_000, "an answer");
    expect(answer()).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer()).toContain('"error":"the service is stopping; retry once it is back"');
    expect(answer()).toContain(`"code":"stopping"`);
    expect(await exited).toBe(0);

    const restarted = await startBackend({ project: backend.project, dataDir: backend.dataDir });
    expect((await api(restarted.url, "GET", "/events/too-late")).status).toBe(404);
    expect((await api(restarted.url, "GET", "/runs?eventId=busy")).body.runs).toMatchObject([{ status: "completed" }]);
  });
});
