// Lease tokens, derived run ids and numeric attempt ids, made inside the component's mutations.

/** 32 hex characters from Web Crypto (Convex offers crypto.getRandomValues in mutations; no node:crypto). */
export function newLeaseToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * `run_` and the first 24 hex digits of sha256(event id NUL flow NUL step [NUL "replay:" n]): the
 * local backend's derivation (src/store/ids.ts), with Web Crypto, since Convex has no node:crypto.
 */
export async function runIdFor(eventId: string, flow: string, step: string, replay = 0): Promise<string> {
  const text = `${eventId}\0${flow}\0${step}${replay > 0 ? `\0replay:${replay}` : ""}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  return `run_${hex.slice(0, 24)}`;
}

/** 48 bits: a safe integer of at most 15 digits, as attempt ids are everywhere (the HTTP paths take 15). */
const ATTEMPT_ID_HEX = 12;

/**
 * The numeric attempt id of a run's n-th attempt, from the run id and n: unique per run, so no shared
 * counter (one every claim would write, serialising all claims). A hash, so a collision is possible;
 * `salt` > 0 gives the next candidate, and the caller looks each one up before using it.
 */
export async function attemptIdFor(runId: string, attemptNumber: number, salt = 0): Promise<number> {
  const text = `${runId}\0attempt:${attemptNumber}${salt > 0 ? `\0salt:${salt}` : ""}`;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  const hex = [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
  // Never 0: an id of 0 reads as "none" in too many places.
  return Number.parseInt(hex.slice(0, ATTEMPT_ID_HEX), 16) || 1;
}
