// The store's schema as numbered migrations; `PRAGMA user_version` records how many have been applied.
import type { Database } from "./sqlite.js";

/**
 * Append only: a migration that shipped is never edited. Times are integer milliseconds since the
 * epoch; JSON columns hold compact JSON text. The tables mirror the Convex control plane's records
 * (events, runs, attempts with leases, output chunks, results) so a remote worker sees one model.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the initial state model.
  `
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    source TEXT,
    received_at TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    matched INTEGER NOT NULL,
    skipped TEXT NOT NULL,
    parent_event_id TEXT,
    depth INTEGER NOT NULL DEFAULT 0,
    replays INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX events_type ON events (type, seq);

  CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    event_id TEXT NOT NULL REFERENCES events (id),
    flow TEXT NOT NULL,
    step TEXT NOT NULL,
    replay INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'canceled')),
    result_status TEXT,
    result TEXT,
    error TEXT,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    available_at INTEGER NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX runs_event ON runs (event_id, seq);
  CREATE INDEX runs_queue ON runs (status, available_at, seq);
  CREATE INDEX runs_result ON runs (result_status, seq);

  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id),
    number INTEGER NOT NULL,
    worker_id TEXT NOT NULL,
    lease_token TEXT NOT NULL,
    lease_expires_at INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'canceled', 'interrupted')),
    error TEXT,
    UNIQUE (run_id, number)
  );
  CREATE INDEX attempts_open ON attempts (lease_expires_at) WHERE finished_at IS NULL;

  CREATE TABLE output_chunks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL REFERENCES runs (id),
    attempt_id INTEGER NOT NULL REFERENCES attempts (id),
    stream TEXT NOT NULL,
    text TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX output_run ON output_chunks (run_id, id);

  CREATE TABLE results (
    attempt_id INTEGER PRIMARY KEY REFERENCES attempts (id),
    run_id TEXT NOT NULL REFERENCES runs (id),
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  CREATE INDEX results_run ON results (run_id);
  `,
  // 2: the lease protocol with remote workers: a run's runner (claims filter by it), output chunk
  // positions (a resent batch is stored once), and whether the worker or lease expiry ended an
  // attempt (a resent complete is a duplicate; a late one after expiry is refused).
  `
  ALTER TABLE runs ADD COLUMN runner TEXT;
  ALTER TABLE output_chunks ADD COLUMN idx INTEGER;
  CREATE UNIQUE INDEX output_attempt_idx ON output_chunks (attempt_id, idx) WHERE idx IS NOT NULL;
  ALTER TABLE attempts ADD COLUMN ended_by_worker INTEGER NOT NULL DEFAULT 0;
  `,
  // 3: nonces of signed state-changing requests, remembered until their
  // signature's time window is over so each such request runs once, across restarts too; and one
  // row that /healthz rewrites to prove the store can still commit.
  `
  CREATE TABLE IF NOT EXISTS request_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS request_nonces_expiry ON request_nonces (expires_at);

  CREATE TABLE IF NOT EXISTS store_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at INTEGER NOT NULL
  );
  `,
  // 4: schedules: per (flow, schedule), the time through which its ticks are dealt with (fired, or
  // skipped by catch_up; set to the first sight of the schedule, so adding one never fires its past),
  // and the newest tick fired, so a restart knows which ticks it missed.
  `
  CREATE TABLE IF NOT EXISTS schedule_state (
    flow TEXT NOT NULL,
    name TEXT NOT NULL,
    checked_through INTEGER NOT NULL,
    last_tick_at INTEGER,
    last_fired_at INTEGER,
    last_event_id TEXT,
    PRIMARY KEY (flow, name)
  ) WITHOUT ROWID;
  `,
  // 5: output chunks stored before schema 2 have no position; live viewers page by (attempt, idx), so
  // they are numbered in the order they were stored (an attempt's chunks are all old or all new). And
  // next events by their parent, for `GET /events?parent=` (what `--wait` follows chains with).
  `
  CREATE INDEX IF NOT EXISTS events_parent ON events (parent_event_id, seq) WHERE parent_event_id IS NOT NULL;
  UPDATE output_chunks SET idx = numbered.n
    FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY attempt_id ORDER BY id) - 1 AS n
      FROM output_chunks WHERE idx IS NULL) AS numbered
    WHERE output_chunks.id = numbered.id;
  `,
  // 6: the attempt a completion's `claimNext` claimed for the freed slot, so a resent complete (the
  // first answer was lost) hands that claim back instead of leaving the run claimed by nobody.
  `
  ALTER TABLE attempts ADD COLUMN next_attempt_id INTEGER;
  `,
  // 7: event files are written in the background, in seq order, behind the database (see
  // backend/event-file-writer.ts): the seq through which every event has its file. Events stored
  // before this schema had theirs written at intake.
  `
  CREATE TABLE IF NOT EXISTS event_file_mark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
  );
  INSERT INTO event_file_mark (id, seq) VALUES (1, (SELECT coalesce(max(seq), 0) FROM events));
  `,
  // 8: listing runs by process status or flow, newest first, as one range read at any size (2,000,000
  // runs: `GET /runs?status=failed` sorted every failed run through runs_queue's (status, available_at)
  // before; now a page costs about a millisecond, bench P6). Claims walk runs_status too, by name
  // (claim-run.ts): dropping it breaks every claim.
  `
  CREATE INDEX IF NOT EXISTS runs_status ON runs (status, seq);
  CREATE INDEX IF NOT EXISTS runs_flow ON runs (flow, seq);
  `,
];

/** Applies the migrations this database has not seen yet, each in its own transaction. */
export function migrate(db: Database): number {
  const applied = db.pragma("user_version", { simple: true }) as number;
  if (applied > MIGRATIONS.length) {
    throw new Error(
      `the database was written by a newer codex-flows (schema ${applied}, this one knows ${MIGRATIONS.length}); upgrade codex-flows`,
    );
  }
  for (let index = applied; index < MIGRATIONS.length; index++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[index] as string);
      db.pragma(`user_version = ${index + 1}`);
    })();
  }
  return MIGRATIONS.length - applied;
}
