// A claim reads the queue in order and stops at the first run it can take: it never sorts the queue.
import { join } from "node:path";
import { expect, test } from "vitest";
import { claimRun, NEXT_QUEUED } from "../src/store/claim-run.js";
import { insertEvent } from "../src/store/insert-event.js";
import { openStore } from "../src/store/open-store.js";
import { tempDir } from "./helpers.js";

test("the claim query walks runs_status in seq order, with no sort and no scan of the queue", async () => {
  const db = await openStore(join(tempDir("codex-flows-claim-"), "backend.sqlite"));
  try {
    for (let n = 0; n < 50; n++) {
      insertEvent(db, {
        event: { id: `e${n}`, type: "t", receivedAt: "2024-01-01T00:00:00.000Z", payload: {} },
        runs: [{ flow: n % 2 ? "odd" : "even", step: "s", maxAttempts: 1, runner: n < 10 ? "code-mode" : "bun" }],
        skipped: [],
        now: 1_000 + n,
      });
    }
    db.exec("ANALYZE");
    const detail = (
      db.prepare(`EXPLAIN QUERY PLAN ${NEXT_QUEUED}`).all(5_000, "[]", 0, '["bun"]', 1, "[]") as {
        detail: string;
      }[]
    )
      .map((row) => row.detail)
      .join("; ");
    expect(detail).toContain("USING INDEX runs_status (status=?)");
    expect(detail).not.toContain("TEMP B-TREE");
    // And it still takes the oldest run this worker can run: the first ten need code-mode.
    const claim = claimRun(db, {
      workerId: "w",
      leaseMs: 60_000,
      now: 5_000,
      capabilities: { runners: ["bun"], flows: ["odd"] },
    });
    expect(claim?.eventId).toBe("e11");
  } finally {
    db.close();
  }
});
