// Storing step output: chunks buffered by the worker are written in one transaction per flush.
import { type Database, statement } from "./sqlite.js";

export interface NewOutputChunk {
  runId: string;
  attemptId: number;
  stream: string;
  text: string;
  at: number;
}

export function appendOutput(db: Database, chunks: readonly NewOutputChunk[]): void {
  if (chunks.length === 0) return;
  const insert = statement(
    db,
    "INSERT INTO output_chunks (run_id, attempt_id, stream, text, at) VALUES (?, ?, ?, ?, ?)",
  );
  db.transaction(() => {
    for (const chunk of chunks) insert.run(chunk.runId, chunk.attemptId, chunk.stream, chunk.text, chunk.at);
  })();
}
