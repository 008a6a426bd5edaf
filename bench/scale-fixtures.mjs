// P6 fixtures, generated into a temp dir: a project of many flows, and a backend data dir of a million events.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

export const EVENT_TYPES = 100;

/** `count` flows of 3 Bun steps, each step on one of EVENT_TYPES types; every third step has a payload schema. */
export function flowsProject(root, count) {
  const schema = JSON.stringify({
    type: "object",
    required: ["n"],
    properties: { n: { type: "integer", minimum: 0 }, repo: { type: "string" } },
  });
  for (let n = 0; n < count; n += 1) {
    const name = `f${String(n).padStart(4, "0")}`;
    const dir = join(root, "flows", name);
    mkdirSync(join(dir, "schemas"), { recursive: true });
    let toml = `name = "${name}"\nversion = 1\ndescription = "scale fixture"\n`;
    for (let step = 0; step < 3; step += 1) {
      toml += `\n[[steps]]\nname = "s${step}"\nrunner = "bun"\nscript = "main.ts"\n`;
      toml += `\n[steps.trigger]\ntype = "scale.t${(n * 3 + step) % EVENT_TYPES}"\n`;
      if (step === 0) toml += `schema = "schemas/payload.schema.json"\n`;
    }
    writeFileSync(join(dir, "flow.toml"), toml);
    writeFileSync(join(dir, "main.ts"), "");
    writeFileSync(join(dir, "schemas", "payload.schema.json"), schema);
  }
  return root;
}

/** The service's event file name (src/store/event-files.ts eventFileName); a drift shows as "rewrote" at start. */
function eventFileName(id) {
  const readable = id.replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 80);
  return `${readable}-${createHash("sha256").update(id).digest("hex").slice(0, 16)}.json`;
}

export const STEPS = ["build", "notify"];
const FLOWS = 50;
const DAY = 86_400_000;
/** Runs of the newest events left `running` by a local worker that died: the start's lease recovery takes them. */
export const ORPHANED_EVENTS = 20;
/** What the service's repair pass checks at start (src/backend/service.ts recover()). */
export const NEWEST_FILES = 1_000;

export function eventId(n) {
  return `evt-${String(n).padStart(8, "0")}`;
}

const runId = (n) => `run_${n.toString(16).padStart(24, "0")}`;

function statusOf(n) {
  const bucket = n % 100;
  if (bucket < 5) return "failed";
  if (bucket < 7) return "canceled";
  return "completed";
}

/**
 * Fills the (already migrated) store at `path` with `events` events and two runs each, every run
 * with its attempt and, when completed, its result, spread over 60 days up to now. Built the fast
 * way on purpose (no fsync, secondary indexes dropped and recreated from sqlite_master afterwards),
 * which leaves the same schema and pages the service would have written over months.
 */
export function fillStore(path, events) {
  const db = new Database(path);
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -262144");
  db.pragma("foreign_keys = OFF");
  const indexes = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
    .all()
    .filter((index) => !index.name.startsWith("sqlite_"));
  for (const index of indexes) db.exec(`DROP INDEX ${index.name}`);
  const insertEvent = db.prepare(
    `INSERT INTO events (seq, id, type, source, received_at, accepted_at, body, matched, skipped, parent_event_id, depth)
      VALUES (?, ?, ?, 'github', ?, ?, ?, 2, '[]', NULL, 0)`,
  );
  const insertRun = db.prepare(
    `INSERT INTO runs (seq, id, event_id, flow, step, runner, replay, status, result_status, result, error, attempt_count,
      max_attempts, available_at, cancel_requested, created_at, started_at, finished_at, updated_at)
      VALUES (?, ?, ?, ?, ?, 'bun', 0, ?, ?, ?, ?, 1, 1, ?, 0, ?, ?, ?, ?)`,
  );
  const insertAttempt = db.prepare(
    `INSERT INTO attempts (id, run_id, number, worker_id, lease_token, lease_expires_at, heartbeat_at, started_at,
      finished_at, status, error, ended_by_worker) VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertResult = db.prepare(
    "INSERT INTO results (attempt_id, run_id, status, result, at) VALUES (?, ?, ?, ?, ?)",
  );
  const now = Date.now();
  const span = 60 * DAY;
  const worker = "local:bench-host:4242:0badc0de";
  const dead = `local:${hostname()}:999999:deadbeef`;
  const newest = [];
  const batch = db.transaction((from, to) => {
    for (let n = from; n < to; n += 1) {
      const id = eventId(n);
      const at = now - Math.round(((events - n) / events) * span);
      const receivedAt = new Date(at).toISOString();
      const type = `github.${["push", "pull_request", "issues", "release", "workflow_run"][n % 5]}`;
      const event = {
        id,
        type,
        source: "github",
        receivedAt,
        payload: { n, repo: `org/repo-${n % 97}`, action: "opened" },
      };
      const body = JSON.stringify(event);
      insertEvent.run(n + 1, id, type, receivedAt, at, body);
      if (n >= events - NEWEST_FILES) newest.push(event);
      const orphaned = n >= events - ORPHANED_EVENTS;
      for (let k = 0; k < STEPS.length; k += 1) {
        const seq = n * STEPS.length + k + 1;
        const run = runId(seq);
        const status = orphaned ? "running" : statusOf(n * 7 + k);
        const done = status === "running" ? null : at + 1_500;
        const result = status === "completed" ? '{"status":"completed","summary":"ok"}' : null;
        const error = status === "failed" ? "step exited with code 1" : null;
        insertRun.run(
          seq,
          run,
          id,
          `f${(n + k) % FLOWS}`,
          STEPS[k],
          status,
          result && "completed",
          result,
          error,
          at,
          at,
          at + 10,
          done,
          done ?? at + 10,
        );
        insertAttempt.run(
          seq,
          run,
          orphaned ? dead : worker,
          "0123456789abcdef0123456789abcdef",
          orphaned ? now + 30_000 : at + 30_010,
          done ?? now,
          at + 10,
          done,
          status,
          error,
          status === "running" ? 0 : 1,
        );
        if (result) insertResult.run(seq, run, "completed", result, done);
      }
    }
  });
  const chunk = 50_000;
  for (let from = 0; from < events; from += chunk) batch(from, Math.min(events, from + chunk));
  for (const index of indexes) db.exec(index.sql);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return newest;
}

/** The newest events' files, exactly as the service writes them, so its repair pass at start finds them intact. */
export function writeNewestFiles(dataDir, newest) {
  const folder = join(dataDir, "events");
  mkdirSync(folder, { recursive: true });
  for (const event of newest)
    writeFileSync(join(folder, eventFileName(event.id)), `${JSON.stringify(event, null, 2)}\n`);
}
