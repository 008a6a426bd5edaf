// Claiming work: the oldest ready queued run the worker can run becomes `running` under a new attempt's lease.
import type { FlowEvent } from "../core/types.js";
import type { Capabilities, Claim } from "../wire/protocol.js";
import { leaseToken } from "./ids.js";
import { type Database, statement } from "./sqlite.js";

export interface ClaimOptions {
  workerId: string;
  leaseMs: number;
  now: number;
  /** Only runs of these runners and flows (a run stored before runners were recorded fits any runner). */
  capabilities?: Capabilities;
  /**
   * Runs the caller is still executing (an attempt whose lease was lost but whose step is still being
   * stopped): never claimed again until that is over, so one run never has two live steps.
   */
  exclude?: readonly string[];
  /** The attempt whose `complete` asks for this claim (`claimNext`): it remembers the claim, for a resent complete. */
  forAttempt?: number;
}

/** A claimed run as the store knows it: the protocol's claim (but the manifest hash), plus what chaining needs. */
export interface StoredClaim extends Omit<Claim, "manifestHash"> {
  /** 0 for the run made when the event was accepted, n for the n-th replay's. */
  replay: number;
  eventDepth: number;
}

interface QueuedRow {
  id: string;
  event_id: string;
  flow: string;
  step: string;
  replay: number;
  attempt_count: number;
  max_attempts: number;
  body: string;
  depth: number;
}

/** What makes a queued run one this claimer may take now (bound: now, exclude, anyRunner, runners, anyFlow, flows). */
const CLAIMABLE = `runs.available_at <= ?
    AND runs.id NOT IN (SELECT value FROM json_each(?))
    AND (? = 1 OR runs.runner IS NULL OR runs.runner IN (SELECT value FROM json_each(?)))
    AND (? = 1 OR runs.flow IN (SELECT value FROM json_each(?)))`;

const CLAIM_COLUMNS = `runs.id, runs.event_id, runs.flow, runs.step, runs.replay, runs.attempt_count, runs.max_attempts,
    events.body, events.depth`;

/** How many of the oldest queued runs the fast path looks at. */
const HEAD = 64;

/**
 * The fast path: the oldest queued runs in seq order (runs_status), of which the first one this
 * claimer can take; nearly always the very first. Left to itself SQLite picks runs_queue for the
 * `available_at` range and sorts every ready run, reading each one's event body first: a claim cost
 * ~1.8 ms with 2,000 runs queued (bench P5).
 */
export const NEXT_QUEUED_HEAD = `SELECT ${CLAIM_COLUMNS}
  FROM (SELECT * FROM runs INDEXED BY runs_status WHERE status = 'queued' ORDER BY seq LIMIT ${HEAD}) AS runs
  JOIN events ON events.id = runs.event_id
  WHERE ${CLAIMABLE}
  ORDER BY runs.seq LIMIT 1`;

/**
 * When none of those fits (a backlog of retries waiting out their backoff keeps its old seq, so it
 * sits at the head; or runs of runners this claimer lacks): the ready runs by runs_queue, sorted.
 */
export const NEXT_QUEUED = `SELECT ${CLAIM_COLUMNS}
  FROM runs JOIN events ON events.id = runs.event_id
  WHERE runs.status = 'queued' AND ${CLAIMABLE}
  ORDER BY runs.seq LIMIT 1`;

/**
 * Claims one run, or returns undefined when nothing is ready. BEGIN IMMEDIATE, so two claimers never
 * race; inside a caller's transaction (a completion that claims the next run) that one must be too.
 */
export function claimRun(db: Database, options: ClaimOptions): StoredClaim | undefined {
  const { workerId, leaseMs, now, capabilities } = options;
  const exclude = JSON.stringify(options.exclude ?? []);
  const anyRunner = capabilities === undefined ? 1 : 0;
  const anyFlow = capabilities === undefined || capabilities.flows === "*" ? 1 : 0;
  const runners = JSON.stringify(capabilities?.runners ?? []);
  const flows = JSON.stringify(Array.isArray(capabilities?.flows) ? capabilities.flows : []);
  return db
    .transaction((): StoredClaim | undefined => {
      const values = [now, exclude, anyRunner, runners, anyFlow, flows];
      const row = (statement(db, NEXT_QUEUED_HEAD).get(...values) ?? statement(db, NEXT_QUEUED).get(...values)) as
        | QueuedRow
        | undefined;
      if (!row) return undefined;
      const attemptNumber = row.attempt_count + 1;
      statement(
        db,
        `UPDATE runs SET status = 'running', attempt_count = ?, started_at = COALESCE(started_at, ?), updated_at = ?
          WHERE id = ?`,
      ).run(attemptNumber, now, now, row.id);
      const token = leaseToken();
      const expires = now + leaseMs;
      const attempt = statement(
        db,
        `INSERT INTO attempts (run_id, number, worker_id, lease_token, lease_expires_at, heartbeat_at, started_at, status)
          VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`,
      ).run(row.id, attemptNumber, workerId, token, expires, now, now);
      if (options.forAttempt !== undefined) {
        statement(db, "UPDATE attempts SET next_attempt_id = ? WHERE id = ?").run(
          attempt.lastInsertRowid,
          options.forAttempt,
        );
      }
      return {
        runId: row.id,
        eventId: row.event_id,
        flow: row.flow,
        step: row.step,
        replay: row.replay,
        attemptId: Number(attempt.lastInsertRowid),
        attemptNumber,
        maxAttempts: row.max_attempts,
        leaseToken: token,
        leaseMs,
        leaseExpiresAt: expires,
        event: JSON.parse(row.body) as FlowEvent,
        eventDepth: row.depth,
      };
    })
    .immediate();
}

/**
 * When the next queued run becomes claimable (a retry waiting out its backoff), or undefined if none
 * will; runs in `exclude` do not count. Only times after `now`: a run that is ready already but was not
 * claimed is one this claimer cannot take, and waking for it would spin.
 */
export function nextQueuedAt(db: Database, now: number, exclude: readonly string[] = []): number | undefined {
  const row = statement(
    db,
    `SELECT MIN(available_at) AS at FROM runs
      WHERE status = 'queued' AND available_at > ? AND id NOT IN (SELECT value FROM json_each(?))`,
  ).get(now, JSON.stringify(exclude)) as { at: number | null };
  return row.at ?? undefined;
}
