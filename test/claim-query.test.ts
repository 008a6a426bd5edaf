// A claim reads the head of the queue in order and stops at the first run it can take; past a head
// it cannot take (retries in backoff, other runners' runs) it still finds the oldest claimable run.
import { join } from "node:path";
import { expect, test } from "vitest";
import { claimRun, NEXT_QUEUED_HEAD } from "../src/store/claim-run.js";
import { heartbeat } from "../src/store/heartbeat.js";
import { insertEvent } from "../src/store/insert-event.js";
import { openStore } from "../src/store/open-store.js";
import { releaseClaim } from "../src/store/release-claim.js";
import type { Database } from "../src/store/sqlite.js";
import { tempDir } from "./helpers.js";

async function queue(count: number, runner: (n: number) => string): Promise<Database> {
  const db = await openStore(join(tempDir("codex-flows-claim-"), "backend.sqlite"));
  for (let n = 0; n < count; n++) {
    insertEvent(db, {
      event: { id: `e${n}`, type: "t", receivedAt: "2024-01-01T00:00:00.000Z", payload: {} },
      runs: [{ flow: n % 2 ? "odd" : "even", step: "s", maxAttempts: 1, runner: runner(n) }],
      skipped: [],
      now: 1_000 + n,
    });
  }
  return db;
}

const claim = (db: Database, options: { flows?: string[]; exclude?: string[] } = {}) =>
  claimRun(db, {
    workerId: "w",
    leaseMs: 60_000,
    now: 5_000,
    capabilities: { runners: ["bun"], flows: options.flows ?? "*" },
    exclude: options.exclude,
  });

test("the fast path walks runs_status in seq order, with no sort of the queue", async () => {
  const db = await queue(50, (n) => (n < 10 ? "code-mode" : "bun"));
  try {
    db.exec("ANALYZE");
    const detail = (
      db.prepare(`EXPLAIN QUERY PLAN ${NEXT_QUEUED_HEAD}`).all(5_000, "[]", 0, '["bun"]', 1, "[]") as {
        detail: string;
      }[]
    )
      .map((row) => row.detail)
      .join("; ");
    expect(detail).toContain("USING INDEX runs_status (status=?)");
    expect(detail).not.toContain("TEMP B-TREE");
    // The oldest run this worker can run: the first ten need code-mode, and e10 is not of flow "odd".
    expect(claim(db, { flows: ["odd"] })?.eventId).toBe("e11");
    expect(claim(db, { exclude: [] })?.eventId).toBe("e10");
  } finally {
    db.close();
  }
});

test("past a head of runs waiting out a backoff, or excluded, the oldest ready run is still claimed", async () => {
  const db = await queue(100, () => "bun");
  try {
    // Retries keep their seq: the 80 oldest runs wait, so the 64 the fast path reads hold none ready.
    db.prepare("UPDATE runs SET available_at = ? WHERE seq <= 80").run(1_000_000);
    expect(claim(db)?.eventId).toBe("e80");
    const excluded = db.prepare("SELECT id FROM runs WHERE event_id IN ('e81', 'e82')").pluck().all() as string[];
    expect(claim(db, { exclude: excluded })?.eventId).toBe("e83");
    expect(claim(db)?.eventId).toBe("e81");
  } finally {
    db.close();
  }
});

test("a claim is given back only while its lease is as it was made: a renewed one reached its worker", async () => {
  const db = await queue(2, () => "bun");
  try {
    const first = claim(db);
    const second = claim(db);
    if (!first || !second) throw new Error("nothing claimed");
    // The second claim's lease is renewed (a heartbeat, or a resent complete that got it back).
    expect(heartbeat(db, { ...second, leaseMs: 60_000, now: 6_000 })).toBeDefined();
    expect(releaseClaim(db, first.attemptId, first.leaseToken, first.leaseExpiresAt)).toBe(first.runId);
    expect(releaseClaim(db, second.attemptId, second.leaseToken, second.leaseExpiresAt)).toBeUndefined();
    const status = db.prepare("SELECT id, status FROM runs ORDER BY seq").all();
    expect(status).toEqual([
      { id: first.runId, status: "queued" },
      { id: second.runId, status: "running" },
    ]);
  } finally {
    db.close();
  }
});
