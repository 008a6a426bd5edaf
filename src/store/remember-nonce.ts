// Single-use signed requests: a nonce is stored until its signature's window closes; a second use is refused.
import { type Database, statement } from "./sqlite.js";

/**
 * Records `nonce` as used until `expiresAt` (ms). False when it was already used, so the request is a
 * replay. Expired nonces are pruned on the way (an indexed range delete: cheap, and the table never
 * holds more than one window's worth). Committed with the connection's synchronous=FULL: the nonce is
 * on disk before the request it guards runs, so a crash cannot reopen the window.
 */
export function rememberNonce(db: Database, nonce: string, expiresAt: number, now: number): boolean {
  return db.transaction(() => {
    statement(db, "DELETE FROM request_nonces WHERE expires_at < ?").run(now);
    const inserted = statement(
      db,
      "INSERT INTO request_nonces (nonce, expires_at) VALUES (?, ?) ON CONFLICT (nonce) DO NOTHING",
    ).run(nonce, expiresAt);
    return inserted.changes === 1;
  })();
}
