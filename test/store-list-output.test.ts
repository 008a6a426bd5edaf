// Reading a run's output by cursor (attempt, index), and migration 5, which numbers chunks stored before chunks had positions.
import { join } from "node:path";
import { expect, test } from "vitest";
import { appendOutput } from "../src/store/append-output.js";
import { claimRun } from "../src/store/claim-run.js";
import { completeRun } from "../src/store/complete-run.js";
import { insertEvent } from "../src/store/insert-event.js";
import { listOutput, parseCursor } from "../src/store/list-output.js";
import { MIGRATIONS, migrate } from "../src/store/migrations.js";
import { openStore } from "../src/store/open-store.js";
import { openDatabase } from "../src/store/sqlite.js";
import { tempDir } from "./helpers.js";

const at = 1_700_000_000_000;

test("chunks come in attempt then index order, strictly after the cursor, at most limit of them", async () => {
  const db = await openStore(join(tempDir(), "backend.sqlite"));
  const { runIds } = insertEvent(db, {
    event: { id: "e", type: "t", receivedAt: new Date(at).toISOString(), payload: {} },
    runs: [{ flow: "f", step: "s", maxAttempts: 2, runner: "bun" }],
    skipped: [],
    now: at,
  });
  const runId = runIds[0] as string;
  const first = claimRun(db, { workerId: "w", leaseMs: 60_000, now: at });
  if (!first) throw new Error("no claim");
  // Stored out of order (a resent batch): read back by index.
  appendOutput(db, { ...first, chunks: [{ index: 1, stream: "stderr", text: "b", at }] });
  appendOutput(db, { ...first, chunks: [{ index: 0, stream: "stdout", text: "a", at }] });
  completeRun(db, {
    ...first,
    outcome: { status: "failed", result: null, error: "x" },
    now: at,
    retryDelayMs: () => 0,
  });
  const second = claimRun(db, { workerId: "w", leaseMs: 60_000, now: at + 1 });
  if (!second) throw new Error("no second claim");
  appendOutput(db, {
    ...second,
    chunks: [0, 1, 2].map((index) => ({ index, stream: "stdout", text: `c${index}`, at })),
  });
  const ids = (chunks: { attempt: number; index: number }[]) => chunks.map((c) => `${c.attempt}:${c.index}`);
  expect(ids(listOutput(db, runId, undefined, 100))).toEqual(["1:0", "1:1", "2:0", "2:1", "2:2"]);
  expect(listOutput(db, runId, undefined, 1)[0]).toEqual({
    attempt: 1,
    index: 0,
    stream: "stdout",
    text: "a",
    at: new Date(at).toISOString(),
  });
  expect(ids(listOutput(db, runId, { attempt: 1, index: 0 }, 2))).toEqual(["1:1", "2:0"]);
  expect(ids(listOutput(db, runId, { attempt: 1, index: 1 }, 100))).toEqual(["2:0", "2:1", "2:2"]);
  expect(ids(listOutput(db, runId, { attempt: 2, index: 2 }, 100))).toEqual([]);
  expect(parseCursor("2:17")).toEqual({ attempt: 2, index: 17 });
  for (const bad of ["", "2", "2:", "a:1", "1:-1", "1:2:3"]) expect(parseCursor(bad)).toBeUndefined();
  db.close();
});

test("migration 5 numbers each attempt's unnumbered chunks in the order they were stored", async () => {
  const db = await openDatabase(join(tempDir(), "old.sqlite"));
  // A schema-1 store with output, then the later migrations.
  db.exec(MIGRATIONS[0] as string);
  db.pragma("user_version = 1");
  db.exec(`INSERT INTO events (id, type, received_at, accepted_at, body, matched, skipped) VALUES ('e', 't', 'x', 1, '{}', 1, '[]');
    INSERT INTO runs (id, event_id, flow, step, replay, status, max_attempts, available_at, created_at, updated_at)
      VALUES ('r', 'e', 'f', 's', 0, 'failed', 2, 1, 1, 1);
    INSERT INTO attempts (run_id, number, worker_id, lease_token, lease_expires_at, heartbeat_at, started_at, finished_at, status)
      VALUES ('r', 1, 'w', 't1', 1, 1, 1, 2, 'failed'), ('r', 2, 'w', 't2', 1, 1, 1, 2, 'failed');
    INSERT INTO output_chunks (run_id, attempt_id, stream, text, at)
      VALUES ('r', 1, 'stdout', 'one', 1), ('r', 2, 'stdout', 'three', 1), ('r', 1, 'stderr', 'two', 1);`);
  migrate(db);
  const chunks = listOutput(db, "r", undefined, 100).map((c) => [c.attempt, c.index, c.text]);
  expect(chunks).toEqual([
    [1, 0, "one"],
    [1, 1, "two"],
    [2, 0, "three"],
  ]);
  db.close();
});
