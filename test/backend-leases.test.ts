// Leases against a real service: its own live attempts are never expired under it, and a run is never run twice at once.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { expireLeases } from "../src/store/expire-leases.js";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { api, eventually, finishedRuns, processGone, slowPids, startBackend, tempDir } from "./backend-helpers.js";

type Attempt = { number: number; status: string; error: string | null };

describe("backend leases", () => {
  test("a service paused past its lease (SIGSTOP, like a laptop suspend) keeps its attempt; the step runs once", async () => {
    const backend = await startBackend({
      args: ["--lease-ms", "300", "--retry-backoff-ms", "0", "--grace-ms", "1000"],
    });
    const pidFile = join(tempDir(), "pids.json");
    const event = { id: "paused", type: "demo.slow-retry", payload: { pidFile, ms: 9000 } };
    const runId = (await api(backend.url, "POST", "/events", event)).body.runIds[0];
    const first = await slowPids(pidFile);
    const pid = backend.child.pid as number;
    // Each pause outlasts the lease five times over; on resume the expiry timer and the heartbeat are
    // both overdue, in no fixed order. Three pauses make a wrong order show up reliably.
    for (let pause = 0; pause < 3; pause++) {
      process.kill(pid, "SIGSTOP");
      await sleep(1500);
      process.kill(pid, "SIGCONT");
      await sleep(400);
    }
    const { body } = await api(backend.url, "GET", `/runs/${runId}`);
    expect(body.run.attempts.map((a: Attempt) => [a.number, a.status])).toEqual([[1, "running"]]);
    expect(body.run.status).toBe("running");

    const [run] = await finishedRuns(backend.url, "paused", 1);
    expect(run).toMatchObject({ status: "completed", attemptCount: 1, result: { message: "slept 9000 ms" } });
    // The step never started a second time (each start rewrites the pid file).
    expect(JSON.parse(readFileSync(pidFile, "utf8"))).toEqual(first);
    expect(backend.stderr()).not.toMatch(/heartbeat .* failed|lease expired/);
  }, 40_000);

  test("a lease lost to another expirer: no second attempt until the first one's step is gone; SIGTERM still kills it", async () => {
    const backend = await startBackend({
      args: ["--lease-ms", "9000", "--retry-backoff-ms", "0", "--grace-ms", "1000"],
    });
    const pidFile = join(tempDir(), "pids.json");
    const event = { id: "taken", type: "demo.slow-retry", payload: { pidFile, ms: 60_000 } };
    const runId = (await api(backend.url, "POST", "/events", event)).body.runIds[0];
    const first = await slowPids(pidFile);

    // Another party (an operator's tool, a control plane) finds the lease run out and requeues the run.
    const db = await openStore(join(backend.dataDir, DATABASE_FILE));
    db.prepare("UPDATE attempts SET lease_expires_at = 0 WHERE run_id = ?").run(runId);
    const expired = expireLeases(db, { now: Date.now(), reason: "test: taken away", retryDelayMs: () => 0 });
    db.close();
    expect(expired).toMatchObject([{ runId, status: "queued", retrying: true }]);
    // New work wakes the pool at once, long before the old attempt's next heartbeat (every 3 s).
    await api(backend.url, "POST", "/events", { id: "wake", type: "demo.blocked" });
    await finishedRuns(backend.url, "wake", 1);

    // The second attempt starts only once the first one's step has been stopped.
    const second = await eventually(
      () => {
        try {
          const pids = JSON.parse(readFileSync(pidFile, "utf8")) as typeof first;
          return pids.step !== first.step ? pids : undefined;
        } catch {
          return undefined;
        }
      },
      20_000,
      "the second attempt to start",
    );
    expect(processGone(first.step)).toBe(true);
    const { body } = await api(backend.url, "GET", `/runs/${runId}`);
    expect(body.run.attempts.map((a: Attempt) => [a.number, a.status])).toEqual([
      [1, "interrupted"],
      [2, "running"],
    ]);

    // The pool still tracks the second attempt: SIGTERM kills it within the grace period, and the
    // store is closed only after it stopped.
    expect(await backend.stop("SIGTERM")).toBe(0);
    expect(processGone(second.step)).toBe(true);
    expect(backend.stderr()).not.toMatch(/heartbeat .* failed|connection is not open/);
    const restarted = await startBackend({ project: backend.project });
    const after = await api(restarted.url, "GET", `/runs/${runId}`);
    expect(after.body.run).toMatchObject({
      status: "failed",
      error: "interrupted: the service stopped before the step finished",
    });
    expect(after.body.run.attempts.map((a: Attempt) => a.status)).toEqual(["interrupted", "interrupted"]);
  }, 40_000);
});
