// Storing step output: one batch of an attempt's chunks per transaction, fenced by its lease token.
import type { OutputChunkInput } from "../wire/protocol.js";
import { type Database, statement } from "./sqlite.js";

/**
 * The attempt's run id, or undefined when the token no longer holds an open attempt (nothing is
 * stored). A chunk whose index the attempt already has is skipped: a worker resends a batch whose
 * answer it never got.
 */
export function appendOutput(
  db: Database,
  input: { attemptId: number; leaseToken: string; chunks: readonly OutputChunkInput[] },
): string | undefined {
  return db.transaction((): string | undefined => {
    const attempt = statement(
      db,
      "SELECT run_id FROM attempts WHERE id = ? AND lease_token = ? AND finished_at IS NULL",
    ).get(input.attemptId, input.leaseToken) as { run_id: string } | undefined;
    if (!attempt) return undefined;
    const insert = statement(
      db,
      `INSERT INTO output_chunks (run_id, attempt_id, idx, stream, text, at) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT DO NOTHING`,
    );
    for (const chunk of input.chunks) {
      insert.run(attempt.run_id, input.attemptId, chunk.index, chunk.stream, chunk.text, chunk.at);
    }
    return attempt.run_id;
  })();
}
