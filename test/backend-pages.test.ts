// Cursor pages of GET /runs and GET /events: a walk sees every row once, new rows never shift it, bad cursors are named.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { insertEvent } from "../src/store/insert-event.js";
import { listEventsPage } from "../src/store/list-events.js";
import { listRunsPage } from "../src/store/list-runs.js";
import { openStore } from "../src/store/open-store.js";
import { encodeCursor } from "../src/store/page-cursor.js";
import { api, type Run, startBackend } from "./backend-helpers.js";
import { tempDir } from "./helpers.js";

type Page = { next: string | null } & Record<string, { id: string }[]>;

/** Follows `next` from the first page to the last, calling `between` after each page. */
async function walk(url: string, path: string, key: string, between: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const joiner = path.includes("?") ? "&" : "?";
    const answer: { status: number; body: Page } = await api<Page>(
      url,
      "GET",
      cursor ? `${path}${joiner}cursor=${cursor}` : path,
    );
    expect(answer.status).toBe(200);
    seen.push(...(answer.body[key] ?? []).map((row) => row.id));
    cursor = answer.body.next;
    if (cursor === null) return seen;
    await between(page);
  }
  throw new Error("the walk did not end");
}

describe("cursor pages over HTTP", () => {
  test("GET /events and GET /runs walk every row exactly once while new ones arrive", async () => {
    // No local workers: the runs stay queued, so nothing but the posts below changes the store.
    const backend = await startBackend({ args: ["--concurrency", "0"] });
    const post = (id: string, type: string) =>
      api(backend.url, "POST", "/events", { id, type, payload: { message: "hi" } });
    for (let n = 0; n < 7; n++)
      expect((await post(`page-${n}`, n % 2 ? "demo.blocked" : "demo.echo")).status).toBe(202);
    const before = (await api<{ events: { id: string }[] }>(backend.url, "GET", "/events?limit=1000")).body.events;
    const runsBefore = (await api<{ runs: Run[] }>(backend.url, "GET", "/runs?limit=1000")).body.runs;
    expect(before).toHaveLength(7);
    expect(runsBefore).toHaveLength(11);

    let added = 0;
    const addOne = async () => {
      added += 1;
      expect((await post(`late-${added}`, "demo.echo")).status).toBe(202);
    };
    const events = await walk(backend.url, "/events?limit=3", "events", addOne);
    expect(events).toEqual(before.map((event) => event.id));
    expect(added).toBe(2);
    // The runs as they stand after the event walk's posts: the run walk must see exactly these.
    const runsNow = (await api<{ runs: Run[] }>(backend.url, "GET", "/runs?limit=1000")).body.runs;
    expect(runsNow.length).toBeGreaterThan(runsBefore.length);
    const runs = await walk(backend.url, "/runs?limit=4", "runs", addOne);
    expect(runs).toEqual(runsNow.map((run) => run.id));
    expect(new Set(runs).size).toBe(runs.length);

    // Filters keep their index and their meaning across pages.
    const queued = (await api<{ runs: Run[] }>(backend.url, "GET", "/runs?status=queued&flow=echo&limit=1000")).body;
    const walked = await walk(backend.url, "/runs?status=queued&flow=echo&limit=2", "runs", async () => {});
    expect(walked).toEqual(queued.runs.map((run) => run.id));
    const typed = await walk(backend.url, "/events?type=demo.blocked&limit=1", "events", async () => {});
    expect(typed).toEqual(["page-5", "page-3", "page-1"]);
    // A page that holds the last row says so at once: no empty page to fetch.
    expect((await api<Page>(backend.url, "GET", "/events?type=demo.blocked&limit=3")).body.next).toBeNull();
    await backend.stop();
  });

  test("a cursor this service did not give out is a 400 naming the parameter", async () => {
    const backend = await startBackend({ args: ["--concurrency", "0"] });
    for (const bad of ["nonsense", "12", encodeCursor(5).slice(0, -1), "%00"]) {
      for (const path of ["/runs", "/events"]) {
        const answer = await api(backend.url, "GET", `${path}?cursor=${bad}`);
        expect(answer.status, `${path} ${bad}`).toBe(400);
        expect(answer.body.error).toContain('query parameter "cursor"');
        expect(answer.body.field).toBe("cursor");
      }
    }
    await backend.stop();
  });
});

describe("page queries", () => {
  test("every filter reads one index backwards from the cursor, never sorting", async () => {
    const db = await openStore(join(tempDir("codex-flows-pages-"), "backend.sqlite"));
    try {
      for (let n = 0; n < 5; n++) {
        insertEvent(db, {
          event: { id: `e${n}`, type: "t", receivedAt: "2024-01-01T00:00:00.000Z", payload: {} },
          runs: [{ flow: "f", step: "s", maxAttempts: 1, runner: "bun" }],
          skipped: [],
          now: 1_000 + n,
        });
      }
      const plan = (sql: string, ...values: unknown[]) =>
        (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...values) as { detail: string }[])
          .map((row) => row.detail)
          .join("; ");
      const runs = "SELECT * FROM runs WHERE seq < ? AND";
      for (const [filter, index] of [
        ["status = ?", "runs_status"],
        ["flow = ?", "runs_flow"],
        ["event_id = ?", "runs_event"],
        ["result_status = ?", "runs_result"],
      ]) {
        const detail = plan(`${runs} ${filter} ORDER BY seq DESC LIMIT 51`, 9, "x");
        expect(detail, filter).toContain(`USING INDEX ${index}`);
        expect(detail, filter).toContain("seq<?");
        expect(detail, filter).not.toContain("TEMP B-TREE");
      }
      const events = plan("SELECT * FROM events WHERE seq < ? ORDER BY seq DESC LIMIT 51", 9);
      expect(events).toMatch(/USING INTEGER PRIMARY KEY \(rowid<\?\)/);
      expect(plan("SELECT * FROM events WHERE type = ? AND seq < ? ORDER BY seq DESC LIMIT 51", "t", 9)).toContain(
        "USING INDEX events_type (type=? AND seq<?)",
      );

      const first = listRunsPage(db, { limit: 2 });
      expect(first.runs).toHaveLength(2);
      expect(first.next).not.toBeNull();
      const firstEvents = listEventsPage(db, { limit: 5 });
      expect(firstEvents.events.map((event) => event.id)).toEqual(["e4", "e3", "e2", "e1", "e0"]);
      expect(firstEvents.next).toBeNull();
    } finally {
      db.close();
    }
  });
});
