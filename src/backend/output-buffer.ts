// Buffering step output for the store: chunks are written every few milliseconds in one transaction.
import { appendOutput, type NewOutputChunk } from "../store/append-output.js";
import { type Database, withSynchronous } from "../store/sqlite.js";

/** A step that prints a flood would fill the disk; past this much per attempt, output is dropped with a notice. */
export const MAX_OUTPUT_PER_ATTEMPT = 8 * 1024 * 1024;
/** How often buffered output reaches the store: readers see it within this delay, at one commit per tick. */
export const FLUSH_INTERVAL_MS = 50;

export class OutputBuffer {
  private pending: NewOutputChunk[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stored = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(runId: string, attemptId: number, stream: string, text: string): void {
    const before = this.stored.get(attemptId) ?? 0;
    if (before >= MAX_OUTPUT_PER_ATTEMPT) return;
    let kept = text;
    if (before + text.length >= MAX_OUTPUT_PER_ATTEMPT) {
      kept = `${text.slice(0, MAX_OUTPUT_PER_ATTEMPT - before)}\n[codex-flows: output past ${MAX_OUTPUT_PER_ATTEMPT} characters was not stored]\n`;
    }
    this.stored.set(attemptId, before + text.length);
    this.pending.push({ runId, attemptId, stream, text: kept, at: Date.now() });
    this.timer ??= setTimeout(() => this.flush(), FLUSH_INTERVAL_MS);
  }

  /** Writes everything buffered now (before an attempt completes, so its output precedes its result). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const chunks = this.pending;
    this.pending = [];
    try {
      if (chunks.length > 0) withSynchronous(this.db, "NORMAL", () => appendOutput(this.db, chunks));
    } catch (error) {
      this.onError(error);
    }
  }

  /** Forgets an attempt's byte count once it is finished. */
  done(attemptId: number): void {
    this.stored.delete(attemptId);
  }
}
