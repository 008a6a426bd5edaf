// Retry backoff: doubling from a base, capped, so a crashing step cannot spin.

export const MAX_RETRY_DELAY_MS = 5 * 60_000;

/** The wait before attempt `failedAttempt + 1`: base, 2x base, 4x base, ... up to five minutes. */
export function retryDelay(baseMs: number, failedAttempt: number): number {
  return Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.max(0, failedAttempt - 1));
}
