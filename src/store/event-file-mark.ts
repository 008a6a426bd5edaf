// The seq through which every stored event has its file under events/ (the background writer's progress).
import type { FlowEvent } from "../core/types.js";
import { type Database, statement, withSynchronous } from "./sqlite.js";

export function eventFileMark(db: Database): number {
  return (statement(db, "SELECT seq FROM event_file_mark WHERE id = 1").pluck().get() as number | undefined) ?? 0;
}

/**
 * Without an fsync: a mark lost to a power loss only means files are checked again at the next start,
 * and a mark that outlived its files is covered by the check of the newest ones before it.
 */
export function setEventFileMark(db: Database, seq: number): void {
  withSynchronous(db, "NORMAL", () => statement(db, "UPDATE event_file_mark SET seq = ? WHERE id = 1").run(seq));
}

export interface StoredEventBody {
  seq: number;
  event: FlowEvent;
}

/** Events after `seq`, oldest first. */
export function eventsAfter(db: Database, seq: number, limit: number): StoredEventBody[] {
  const rows = statement(db, "SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?").all(seq, limit) as {
    seq: number;
    body: string;
  }[];
  return rows.map((row) => ({ seq: row.seq, event: JSON.parse(row.body) as FlowEvent }));
}

/** The `count` newest events at or before `seq`, oldest first. */
export function eventsThrough(db: Database, seq: number, count: number): StoredEventBody[] {
  const rows = statement(db, "SELECT seq, body FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT ?").all(
    seq,
    count,
  ) as { seq: number; body: string }[];
  return rows.reverse().map((row) => ({ seq: row.seq, event: JSON.parse(row.body) as FlowEvent }));
}

export function newestEventSeq(db: Database): number {
  return (statement(db, "SELECT max(seq) FROM events").pluck().get() as number | null) ?? 0;
}
