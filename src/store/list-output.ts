// Reading a run's stored output in order (attempt number, then index), after a cursor: what live viewers page through.
import { type Database, statement } from "./sqlite.js";

/** A position in a run's output: the chunk `index` of attempt `attempt` (its number, from 1). */
export interface OutputCursor {
  attempt: number;
  index: number;
}

/** One stored chunk as `GET /runs/<id>/output` shows it. */
export interface LiveChunk {
  attempt: number;
  index: number;
  stream: string;
  text: string;
  at: string;
}

interface AttemptRow {
  id: number;
  number: number;
}

interface ChunkRow {
  idx: number;
  stream: string;
  text: string;
  at: number;
}

/**
 * Up to `limit` chunks strictly after `after` (from the start without it). Each attempt is read
 * through the (attempt_id, idx) index, so a viewer that is caught up costs one index probe per
 * notification, however long the output already is.
 */
export function listOutput(db: Database, runId: string, after: OutputCursor | undefined, limit: number): LiveChunk[] {
  const fromAttempt = after?.attempt ?? 0;
  const attempts = statement(
    db,
    "SELECT id, number FROM attempts WHERE run_id = ? AND number >= ? ORDER BY number",
  ).all(runId, fromAttempt) as AttemptRow[];
  const chunks: LiveChunk[] = [];
  for (const attempt of attempts) {
    const left = limit - chunks.length;
    if (left <= 0) break;
    const afterIndex = after && attempt.number === after.attempt ? after.index : -1;
    const rows = statement(
      db,
      "SELECT idx, stream, text, at FROM output_chunks WHERE attempt_id = ? AND idx > ? ORDER BY idx LIMIT ?",
    ).all(attempt.id, afterIndex, left) as ChunkRow[];
    for (const row of rows) {
      chunks.push({
        attempt: attempt.number,
        index: row.idx,
        stream: row.stream,
        text: row.text,
        at: new Date(row.at).toISOString(),
      });
    }
  }
  return chunks;
}

/** `<attempt>:<index>`, the form of SSE ids, `Last-Event-ID` and `?after=`. */
export function formatCursor(cursor: OutputCursor): string {
  return `${cursor.attempt}:${cursor.index}`;
}

/** Parses `<attempt>:<index>`; undefined when it is not two whole numbers. */
export function parseCursor(text: string): OutputCursor | undefined {
  const match = /^(\d{1,15}):(\d{1,15})$/.exec(text.trim());
  if (!match) return undefined;
  return { attempt: Number(match[1]), index: Number(match[2]) };
}
