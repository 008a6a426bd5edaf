// The lease protocol as an interface: one worker loop runs against any control plane that implements it.
import type {
  AttemptOutcome,
  AttemptRef,
  Claim,
  ClaimRequest,
  CompleteAnswer,
  CompleteExtras,
  HeartbeatAnswer,
  OutputChunkInput,
} from "../wire/protocol.js";

/**
 * claim -> heartbeat / appendOutput -> complete. Every call after `claim` is fenced by the attempt's
 * lease token: a stale token makes it throw LeaseLostError (and change nothing). Any other throw is a
 * transport failure the worker retries. Implementations: SQLite in-process (src/worker/sqlite/),
 * HTTP to the local backend (src/client/http-lease-protocol.ts).
 */
export interface LeaseProtocol {
  /** The oldest ready run this worker can run, under a new attempt's lease; null when none (after `waitMs`). */
  claim(request: ClaimRequest, signal?: AbortSignal): Promise<Claim | null>;
  /** Extends the lease; says whether someone asked to cancel the run. */
  heartbeat(attempt: AttemptRef): Promise<HeartbeatAnswer>;
  /** Stores output chunks in order; a chunk whose index was stored already is ignored. */
  appendOutput(attempt: AttemptRef, chunks: OutputChunkInput[]): Promise<void>;
  /** Records the attempt's end; a second `complete` with the same token answers `duplicate` and changes nothing. */
  complete(attempt: AttemptRef, outcome: AttemptOutcome, extras?: CompleteExtras): Promise<CompleteAnswer>;
}
