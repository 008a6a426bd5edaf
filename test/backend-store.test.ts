// The backend's SQLite store, operation by operation, against real database files.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { FlowEvent } from "../src/core/types.js";
import { appendOutput } from "../src/store/append-output.js";
import { backupDatabase } from "../src/store/backup.js";
import { claimRun, nextQueuedAt } from "../src/store/claim-run.js";
import { completeRun } from "../src/store/complete-run.js";
import { expireLeases } from "../src/store/expire-leases.js";
import { getRun } from "../src/store/get-run.js";
import { heartbeat } from "../src/store/heartbeat.js";
import { insertEvent } from "../src/store/insert-event.js";
import { insertReplayRuns } from "../src/store/insert-replay-runs.js";
import { findEvent, listEvents } from "../src/store/list-events.js";
import { listRuns } from "../src/store/list-runs.js";
import { MIGRATIONS } from "../src/store/migrations.js";
import { openStore } from "../src/store/open-store.js";
import { requestCancel } from "../src/store/request-cancel.js";
import type { Database } from "../src/store/sqlite.js";
import { tempDir } from "./helpers.js";

const noDelay = () => 0;

async function freshStore(): Promise<Database> {
  const db = await openStore(join(tempDir("codex-flows-store-"), "backend.sqlite"));
  return db;
}

function event(id: string, type = "test.event"): FlowEvent {
  return { id, type, receivedAt: "2024-01-01T00:00:00.000Z", payload: { n: 1 } };
}

function accept(db: Database, id: string, steps = ["a"], maxAttempts = 1) {
  return insertEvent(db, {
    event: event(id),
    runs: steps.map((step) => ({ flow: "f", step, maxAttempts, runner: "bun" })),
    skipped: [{ flow: "g", step: "x", reason: "type differs" }],
    now: 1_000,
  });
}

describe("backend store", () => {
  test("opens with WAL, full sync and every migration applied", async () => {
    const db = await freshStore();
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("synchronous", { simple: true })).toBe(2);
    expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
  });

  test("an event and its runs are stored once; a duplicate gets the same run ids", async () => {
    const db = await freshStore();
    const first = accept(db, "patchbay:source:entry:upstream.release", ["a", "b"]);
    expect(first.status).toBe("accepted");
    expect(first.runIds).toHaveLength(2);
    const again = accept(db, "patchbay:source:entry:upstream.release", ["a", "b"]);
    expect(again).toEqual({ status: "duplicate", eventId: first.eventId, runIds: first.runIds });
    expect(listRuns(db, { limit: 10 })).toHaveLength(2);
    const stored = findEvent(db, first.eventId);
    expect(stored).toMatchObject({ matched: 2, skipped: [{ flow: "g", step: "x" }], replays: 0 });
    expect(stored?.event.payload).toEqual({ n: 1 });
  });

  test("events list newest first and filter by type", async () => {
    const db = await freshStore();
    accept(db, "e1");
    accept(db, "e2");
    insertEvent(db, { event: event("e3", "other.type"), runs: [], skipped: [], now: 5 });
    expect(listEvents(db, { limit: 10 }).map((e) => e.id)).toEqual(["e3", "e2", "e1"]);
    expect(listEvents(db, { limit: 1 }).map((e) => e.id)).toEqual(["e3"]);
    expect(listEvents(db, { limit: 10, type: "test.event" }).map((e) => e.id)).toEqual(["e2", "e1"]);
  });

  test("claim, heartbeat, output and completion under a lease", async () => {
    const db = await freshStore();
    const { runIds } = accept(db, "e1");
    const claim = claimRun(db, { workerId: "w1", leaseMs: 1_000, now: 2_000 });
    expect(claim).toMatchObject({ runId: runIds[0], attemptNumber: 1, leaseExpiresAt: 3_000, event: { id: "e1" } });
    if (!claim) throw new Error("no claim");
    expect(claimRun(db, { workerId: "w2", leaseMs: 1_000, now: 2_000 })).toBeUndefined();

    expect(
      heartbeat(db, { attemptId: claim.attemptId, leaseToken: "wrong", leaseMs: 1_000, now: 2_500 }),
    ).toBeUndefined();
    expect(
      heartbeat(db, { attemptId: claim.attemptId, leaseToken: claim.leaseToken, leaseMs: 1_000, now: 2_500 }),
    ).toEqual({ leaseExpiresAt: 3_500, cancelRequested: false });
    const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
    expect(
      appendOutput(db, { ...ref, leaseToken: "wrong", chunks: [{ index: 0, stream: "stdout", text: "x", at: 1 }] }),
    ).toBeUndefined();
    const chunks = [
      { index: 0, stream: "stdout", text: "hello\n", at: 2_600 },
      { index: 1, stream: "stderr", text: "warn\n", at: 2_700 },
    ];
    expect(appendOutput(db, { ...ref, chunks })).toBe(claim.runId);
    // A resent batch (its answer was lost) is stored once.
    expect(appendOutput(db, { ...ref, chunks })).toBe(claim.runId);
    const settled = completeRun(db, {
      attemptId: claim.attemptId,
      leaseToken: claim.leaseToken,
      outcome: { status: "completed", result: { status: "blocked", message: "needs a person" }, error: null },
      now: 3_000,
      retryDelayMs: noDelay,
    });
    expect(settled).toEqual({
      kind: "settled",
      settlement: { runId: claim.runId, status: "completed", retrying: false },
    });
    const run = getRun(db, claim.runId);
    expect(run).toMatchObject({
      status: "completed",
      resultStatus: "blocked",
      result: { status: "blocked", message: "needs a person" },
      attemptCount: 1,
      attempts: [{ number: 1, workerId: "w1", status: "completed", leaseExpiresAt: new Date(3_500).toISOString() }],
    });
    expect(run?.output.map((chunk) => [chunk.stream, chunk.text])).toEqual([
      ["stdout", "hello\n"],
      ["stderr", "warn\n"],
    ]);
    expect(listRuns(db, { limit: 5, resultStatus: "blocked" }).map((r) => r.id)).toEqual([claim.runId]);
    expect(listRuns(db, { limit: 5, status: "failed" })).toEqual([]);
    // A second completion with the same lease is a duplicate and changes nothing; another token is refused.
    const again = {
      outcome: { status: "failed", result: null, error: "late" },
      now: 4_000,
      retryDelayMs: noDelay,
    } as const;
    expect(completeRun(db, { ...ref, ...again })).toEqual({
      kind: "duplicate",
      settlement: { runId: claim.runId, status: "completed", retrying: false },
    });
    expect(completeRun(db, { ...ref, leaseToken: "wrong", ...again })).toEqual({ kind: "lost" });
    expect(getRun(db, claim.runId)?.status).toBe("completed");
  });

  test("expiry spares the caller's live attempts; a claim skips runs the caller still executes", async () => {
    const db = await freshStore();
    const { runIds } = accept(db, "e1", ["a", "b"], 2);
    const a = claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_000 });
    const b = claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_000 });
    if (!a || !b) throw new Error("no claims");
    const expired = expireLeases(db, {
      now: 9_000,
      reason: "test",
      liveAttempts: new Set([a.attemptId]),
      retryDelayMs: noDelay,
    });
    expect(expired.map((entry) => entry.runId)).toEqual([runIds[1]]);
    expect(getRun(db, a.runId)?.attempts.map((attempt) => attempt.status)).toEqual(["running"]);
    // b's step is still being stopped here: its requeued run waits until the caller lets it go.
    expect(nextQueuedAt(db, 0, [b.runId])).toBeUndefined();
    expect(claimRun(db, { workerId: "w", leaseMs: 1_000, now: 9_000, exclude: [b.runId] })).toBeUndefined();
    expect(claimRun(db, { workerId: "w", leaseMs: 1_000, now: 9_000 })).toMatchObject({
      runId: b.runId,
      attemptNumber: 2,
    });
  });

  test("a failed attempt is retried with backoff while attempts remain, then the run fails", async () => {
    const db = await freshStore();
    accept(db, "e1", ["a"], 2);
    const first = claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_000 });
    if (!first) throw new Error("no claim");
    const settled = completeRun(db, {
      attemptId: first.attemptId,
      leaseToken: first.leaseToken,
      outcome: { status: "failed", result: { status: "failed", message: "boom" }, error: "boom" },
      now: 2_100,
      retryDelayMs: (attempt) => attempt * 500,
    });
    expect(settled).toMatchObject({ kind: "settled", settlement: { status: "queued", retrying: true } });
    expect(nextQueuedAt(db, 2_100)).toBe(2_600);
    expect(nextQueuedAt(db, 2_600)).toBeUndefined();
    expect(claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_599 })).toBeUndefined();
    const second = claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_600 });
    expect(second?.attemptNumber).toBe(2);
    if (!second) throw new Error("no claim");
    expect(
      completeRun(db, {
        attemptId: second.attemptId,
        leaseToken: second.leaseToken,
        outcome: { status: "failed", result: null, error: "boom again" },
        now: 2_700,
        retryDelayMs: noDelay,
      }),
    ).toMatchObject({ settlement: { status: "failed", retrying: false } });
    expect(getRun(db, first.runId)).toMatchObject({ status: "failed", error: "boom again", attemptCount: 2 });
  });

  test("expired leases and dead workers interrupt their runs; live leases are left alone", async () => {
    const db = await freshStore();
    accept(db, "e1", ["a", "b", "c"]);
    const expired = claimRun(db, { workerId: "old", leaseMs: 1_000, now: 1_000 });
    const dead = claimRun(db, { workerId: "crashed", leaseMs: 60_000, now: 1_000 });
    const live = claimRun(db, { workerId: "live", leaseMs: 60_000, now: 1_000 });
    const result = expireLeases(db, {
      now: 5_000,
      reason: "the worker stopped",
      deadWorker: (id) => id === "crashed",
      retryDelayMs: noDelay,
    });
    expect(result.map((entry) => entry.runId).sort()).toEqual([expired?.runId, dead?.runId].sort());
    expect(getRun(db, expired?.runId ?? "")).toMatchObject({
      status: "failed",
      error: "interrupted: the worker stopped",
      attempts: [{ status: "interrupted" }],
    });
    expect(getRun(db, live?.runId ?? "")?.status).toBe("running");
  });

  test("an interrupted run with retries left goes back to the queue", async () => {
    const db = await freshStore();
    accept(db, "e1", ["a"], 3);
    claimRun(db, { workerId: "w", leaseMs: 10, now: 1_000 });
    const [entry] = expireLeases(db, { now: 2_000, reason: "lease expired", retryDelayMs: () => 100 });
    expect(entry).toMatchObject({ status: "queued", retrying: true });
    expect(claimRun(db, { workerId: "w", leaseMs: 10, now: 2_100 })?.attemptNumber).toBe(2);
  });

  test("cancel: a queued run at once, a running one by request, a finished one not at all", async () => {
    const db = await freshStore();
    const { runIds } = accept(db, "e1", ["a", "b"]);
    const running = claimRun(db, { workerId: "w", leaseMs: 1_000, now: 1_000 });
    const queuedId = runIds.find((id) => id !== running?.runId) ?? "";
    expect(requestCancel(db, queuedId, 1_100)).toMatchObject({ outcome: "canceled", run: { status: "canceled" } });
    expect(requestCancel(db, running?.runId ?? "", 1_100)).toMatchObject({
      outcome: "requested",
      run: { status: "running", cancelRequested: true },
    });
    expect(
      heartbeat(db, { attemptId: running?.attemptId ?? 0, leaseToken: running?.leaseToken ?? "", leaseMs: 1, now: 1 }),
    ).toEqual({ leaseExpiresAt: 2, cancelRequested: true });
    expect(requestCancel(db, queuedId, 1_200)?.outcome).toBe("finished");
    expect(requestCancel(db, "run_missing", 1_200)).toBeUndefined();
  });

  test("replays add numbered runs with new ids", async () => {
    const db = await freshStore();
    const { runIds } = accept(db, "e1", ["a"]);
    const replay = insertReplayRuns(db, "e1", [{ flow: "f", step: "a", maxAttempts: 1, runner: "bun" }], 2_000);
    expect(replay?.replay).toBe(1);
    expect(replay?.runIds[0]).not.toBe(runIds[0]);
    const again = insertReplayRuns(db, "e1", [{ flow: "f", step: "a", maxAttempts: 1, runner: "bun" }], 2_000);
    expect(again?.replay).toBe(2);
    expect(new Set([runIds[0], replay?.runIds[0], again?.runIds[0]]).size).toBe(3);
    expect(insertReplayRuns(db, "nope", [], 1)).toBeUndefined();
    expect(findEvent(db, "e1")?.replays).toBe(2);
  });

  test("online backup copies a consistent database", async () => {
    const db = await freshStore();
    accept(db, "e1");
    const target = join(tempDir("codex-flows-backup-"), "copy.sqlite");
    await backupDatabase(db, target);
    const copy = await openStore(target);
    expect(findEvent(copy, "e1")?.id).toBe("e1");
    copy.close();
  });
});

describe("claims by capability", () => {
  test("a worker gets only runs of its runners and flows; runs stored before runners were recorded fit any", async () => {
    const db = await freshStore();
    insertEvent(db, {
      event: event("e1"),
      runs: [
        { flow: "f", step: "cm", maxAttempts: 1, runner: "code-mode" },
        { flow: "g", step: "b", maxAttempts: 1, runner: "bun" },
        { flow: "f", step: "b", maxAttempts: 1, runner: "bun" },
      ],
      skipped: [],
      now: 1_000,
    });
    const bunOnlyF = { runners: ["bun"], flows: ["f"] };
    const first = claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_000, capabilities: bunOnlyF });
    expect([first?.flow, first?.step]).toEqual(["f", "b"]);
    expect(claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_000, capabilities: bunOnlyF })).toBeUndefined();
    const anyFlow = claimRun(db, {
      workerId: "w",
      leaseMs: 1_000,
      now: 2_000,
      capabilities: { runners: ["bun"], flows: "*" },
    });
    expect([anyFlow?.flow, anyFlow?.step]).toEqual(["g", "b"]);
    const codeMode = claimRun(db, {
      workerId: "w",
      leaseMs: 1_000,
      now: 2_000,
      capabilities: { runners: ["bun", "code-mode"], flows: ["f"] },
    });
    expect(codeMode?.step).toBe("cm");
    db.prepare("UPDATE runs SET runner = NULL, status = 'queued' WHERE step = 'cm'").run();
    expect(claimRun(db, { workerId: "w", leaseMs: 1_000, now: 2_000, capabilities: bunOnlyF })?.step).toBe("cm");
  });
});
