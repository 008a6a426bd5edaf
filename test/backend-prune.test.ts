// `backend prune --older-than`: old finished events go with their runs, attempts, output, results and files; the rest stays.
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { parseDuration } from "../src/cli/duration.js";
import { eventFilePath } from "../src/store/event-files.js";
import { api, eventually, finishedRuns, startBackend } from "./backend-helpers.js";
import { runCli } from "./helpers.js";

const DAY = 86_400_000;

function counts(dataDir: string) {
  const db = new Database(join(dataDir, "backend.sqlite"), { readonly: true });
  try {
    const one = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
    return {
      events: db.prepare("SELECT id FROM events ORDER BY id").pluck().all() as string[],
      runs: one("SELECT COUNT(*) FROM runs"),
      attempts: one("SELECT COUNT(*) FROM attempts"),
      outputChunks: one("SELECT COUNT(*) FROM output_chunks"),
      results: one("SELECT COUNT(*) FROM results"),
      // What must never happen: rows whose parent row is gone.
      orphans: one(`SELECT (SELECT COUNT(*) FROM runs WHERE event_id NOT IN (SELECT id FROM events))
        + (SELECT COUNT(*) FROM attempts WHERE run_id NOT IN (SELECT id FROM runs))
        + (SELECT COUNT(*) FROM output_chunks WHERE run_id NOT IN (SELECT id FROM runs))
        + (SELECT COUNT(*) FROM results WHERE run_id NOT IN (SELECT id FROM runs))`),
    };
  } finally {
    db.close();
  }
}

/** Moves these events' acceptance `days` into the past, as if they had been stored then. */
function age(dataDir: string, ids: string[], days: number) {
  const db = new Database(join(dataDir, "backend.sqlite"));
  try {
    const update = db.prepare("UPDATE events SET accepted_at = ? WHERE id = ?");
    for (const id of ids) expect(update.run(Date.now() - days * DAY, id).changes).toBe(1);
  } finally {
    db.close();
  }
}

const prune = (dataDir: string, ...args: string[]) => runCli(["backend", "prune", "--data-dir", dataDir, ...args]);

describe("backend prune", () => {
  test("removes old finished events with everything of theirs, keeps new ones and ones with queued runs", async () => {
    const first = await startBackend();
    const post = (id: string, type: string) =>
      api(first.url, "POST", "/events", { id, type, payload: { message: "hi" } });
    for (const id of ["old-echo-1", "old-echo-2", "new-echo"]) expect((await post(id, "demo.echo")).status).toBe(202);
    expect((await post("old-blocked", "demo.blocked")).status).toBe(202);
    for (const id of ["old-echo-1", "old-echo-2", "new-echo"]) await finishedRuns(first.url, id, 2);
    await finishedRuns(first.url, "old-blocked", 1);
    const dataDir = first.dataDir;
    for (const id of ["old-echo-1", "old-echo-2", "new-echo", "old-blocked"]) {
      await eventually(() => existsSync(eventFilePath(dataDir, id)), 10_000, `the file of ${id}`);
    }
    expect(await first.stop()).toBe(0);
    // A second life without local workers: this event's run stays queued.
    const second = await startBackend({ project: first.project, args: ["--concurrency", "0"] });
    expect((await api(second.url, "POST", "/events", { id: "old-queued", type: "demo.blocked" })).status).toBe(202);
    await eventually(() => existsSync(eventFilePath(dataDir, "old-queued")), 10_000, "the file of old-queued");
    expect(await second.stop()).toBe(0);
    age(dataDir, ["old-echo-1", "old-echo-2", "old-blocked", "old-queued"], 40);
    age(dataDir, ["new-echo"], 29);

    const before = counts(dataDir);
    const done = await prune(dataDir, "--older-than", "30d");
    expect(done.stderr).toBe("");
    expect(done.code).toBe(0);
    const after = counts(dataDir);
    expect(after.events).toEqual(["new-echo", "old-queued"]);
    expect(after.runs).toBe(3);
    expect(after.orphans).toBe(0);
    // Every finished run here had one attempt and one result; the echo steps print, so output went too.
    expect(after.attempts).toBe(2);
    expect(after.results).toBe(2);
    expect(before.outputChunks).toBeGreaterThan(after.outputChunks);
    const removed = before.outputChunks - after.outputChunks;
    expect(done.stdout).toMatch(
      new RegExp(
        `removed 3 event\\(s\\) accepted before \\S+ \\(older than 30d\\), with 5 run\\(s\\), 5 attempt\\(s\\), ${removed} output chunk\\(s\\), 5 result\\(s\\) and 3 event file\\(s\\)`,
      ),
    );
    expect(done.stdout).toContain("kept 1 older event(s) whose runs are still queued or running");
    for (const id of ["old-echo-1", "old-echo-2", "old-blocked"])
      expect(existsSync(eventFilePath(dataDir, id))).toBe(false);
    for (const id of ["new-echo", "old-queued"]) expect(existsSync(eventFilePath(dataDir, id))).toBe(true);

    // Nothing left to do the second time; --json gives the same counts as data.
    const again = await prune(dataDir, "--older-than", "30d", "--json");
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ events: 0, runs: 0, eventFiles: 0, keptActive: 1 });

    // The service starts on the pruned data dir and serves what is left.
    const third = await startBackend({ project: first.project, args: ["--concurrency", "0"] });
    const listed = await api<{ events: { id: string }[] }>(third.url, "GET", "/events");
    expect(listed.body.events.map((event) => event.id).sort()).toEqual(["new-echo", "old-queued"]);
    expect((await api(third.url, "GET", "/events/old-echo-1")).status).toBe(404);
    expect(third.stderr()).not.toMatch(/rewrote/);
    await third.stop();
  });

  test("refuses while the service runs on the data dir, and changes nothing", async () => {
    const backend = await startBackend();
    expect((await api(backend.url, "POST", "/events", { id: "busy", type: "nothing.listens" })).status).toBe(202);
    const refused = await prune(backend.dataDir, "--older-than", "1s");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot prune while the service runs: another codex-flows backend \(pid \d+\)/);
    expect(refused.stderr).toContain("stop `codex-flows backend serve`");
    expect((await api(backend.url, "GET", "/events/busy")).status).toBe(200);
    await backend.stop();
  });

  test("a missing, empty or malformed --older-than is a usage error that says what to write", async () => {
    const backend = await startBackend();
    await backend.stop();
    const cases: [string[], RegExp][] = [
      [[], /backend prune needs --older-than DURATION/],
      [["--older-than"], /option `--older-than <duration>` value is missing/],
      [["--older-than", "30"], /--older-than must be a duration such as 30d, 12h or 90m, got "30"/],
      [["--older-than", "30x"], /got "30x"/],
      [["--older-than", "0d"], /got "0d"/],
      [["--older-than=-3d"], /got "-3d"/],
    ];
    for (const [args, message] of cases) {
      const result = await prune(backend.dataDir, ...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr, args.join(" ")).toMatch(message);
    }
    const nowhere = await runCli([
      "backend",
      "prune",
      "--older-than",
      "1d",
      "--data-dir",
      join(backend.dataDir, "nope"),
    ]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain("no backend database here");
  });

  test("durations", () => {
    expect(parseDuration("30d", "--x")).toBe(30 * DAY);
    expect(parseDuration("12h", "--x")).toBe(12 * 3_600_000);
    expect(parseDuration("90m", "--x")).toBe(90 * 60_000);
    expect(parseDuration("45s", "--x")).toBe(45_000);
    expect(parseDuration("2w", "--x")).toBe(14 * DAY);
    expect(() => parseDuration("1.5d", "--x")).toThrow(/--x must be a duration/);
    expect(() => parseDuration("d", "--x")).toThrow(/--x must be a duration/);
  });
});
