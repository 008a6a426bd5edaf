// Chained `next` events against a real service: stored in the same commit as the run's completion.
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { api, finishedRuns, startBackend } from "./backend-helpers.js";

describe("backend chaining", () => {
  test("a run's completion and its next events commit together: no snapshot shows one without the other", async () => {
    const backend = await startBackend();
    const parents = Array.from({ length: 8 }, (_, index) => `parent-${index}`);
    // The steps finish one by one, well after the watching below has begun.
    for (const [index, id] of parents.entries()) {
      const payload = { ids: [`${id}:child`], ms: 800 + 150 * index };
      await api(backend.url, "POST", "/events", { id, type: "demo.chain-ids", payload });
    }
    // A second connection watches the store the way a crash would freeze it: every read is one
    // consistent snapshot, taken as fast as this loop turns (tens of thousands a second).
    const db = await openStore(join(backend.dataDir, DATABASE_FILE), { readonly: true });
    onTestFinished(() => {
      db.close();
    });
    const snapshot = db.prepare(
      `SELECT runs.event_id AS eventId, runs.status AS status,
         EXISTS (SELECT 1 FROM events WHERE events.parent_event_id = runs.event_id) AS chained
       FROM runs JOIN events ON events.id = runs.event_id WHERE events.type = 'demo.chain-ids'`,
    );
    const torn = new Set<string>();
    const deadline = Date.now() + 20_000;
    let rows: { eventId: string; status: string; chained: number }[] = [];
    while (Date.now() < deadline) {
      rows = snapshot.all() as typeof rows;
      for (const row of rows) if (row.status === "completed" && row.chained === 0) torn.add(row.eventId);
      if (rows.length === parents.length && rows.every((row) => row.status === "completed")) break;
    }
    expect(rows.map((row) => row.status)).toEqual(parents.map(() => "completed"));
    expect([...torn]).toEqual([]);
    for (const id of parents) {
      const child = await api(backend.url, "GET", `/events/${encodeURIComponent(`${id}:child`)}`);
      expect(child.body.event).toMatchObject({ parentEventId: id, depth: 1 });
    }
    await finishedRuns(backend.url, "parent-0", 1);
  });
});
