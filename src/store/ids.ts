// Deterministic run ids and random lease tokens.
import { createHash, randomBytes } from "node:crypto";

/**
 * A run's id derives from (event id, flow, step) so that a duplicate POST of the same event maps to
 * the same runs; the n-th replay adds `n`, so each replay gets fresh, equally reproducible ids.
 */
export function runIdFor(eventId: string, flow: string, step: string, replay = 0): string {
  const hash = createHash("sha256").update(eventId).update("\0").update(flow).update("\0").update(step);
  if (replay > 0) hash.update(`\0replay:${replay}`);
  return `run_${hash.digest("hex").slice(0, 24)}`;
}

/** A lease token: proof that the worker completing or heartbeating an attempt is the one that claimed it. */
export function leaseToken(): string {
  return randomBytes(16).toString("hex");
}
