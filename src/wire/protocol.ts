// The lease protocol's messages: what a worker and a control plane (SQLite, HTTP, Convex) say to each other.
import type { FlowEvent, FlowResult } from "../core/types.js";

/** What a worker can run: a claim only hands it runs of these runners and flows. */
export interface Capabilities {
  /** Runner names whose steps this worker can start (a closed code-mode gate leaves `code-mode` out). */
  runners: string[];
  /** Flow names this worker has, or "*" for any (the service's own pool, which reports missing flows itself). */
  flows: string[] | "*";
}

export interface ClaimRequest {
  workerId: string;
  capabilities: Capabilities;
  /** Runs the worker is still stopping (a lease it lost): never handed back to it until they are gone. */
  exclude?: string[];
  /** How long to wait for a run when none is ready (long poll); 0 answers at once. */
  waitMs?: number;
}

/** Everything a worker needs to execute a claimed run and to prove, later, that the attempt is its own. */
export interface Claim {
  runId: string;
  eventId: string;
  flow: string;
  step: string;
  attemptId: number;
  attemptNumber: number;
  maxAttempts: number;
  leaseToken: string;
  /** The lease's length: heartbeat at least every third of it. */
  leaseMs: number;
  /** Milliseconds since the epoch, by the control plane's clock. */
  leaseExpiresAt: number;
  event: FlowEvent;
  /** The control plane's manifest hash of the flow; null when the flow is gone there. */
  manifestHash: string | null;
}

/** Which attempt a call is about, and the lease token that proves the caller holds it. */
export interface AttemptRef {
  attemptId: number;
  leaseToken: string;
}

export interface HeartbeatAnswer {
  leaseExpiresAt: number;
  cancelRequested: boolean;
}

export interface OutputChunkInput {
  /** Position within the attempt's output, from 0: a resent chunk (after a lost answer) is stored once. */
  index: number;
  stream: string;
  text: string;
  /** Milliseconds since the epoch, when the worker saw it. */
  at: number;
}

export interface AttemptOutcome {
  /** `interrupted`: the worker gave the run back (it is stopping); the run is retried where the step allows. */
  status: "completed" | "failed" | "canceled" | "interrupted";
  /** The step's FLOW_RESULT (also kept for failed steps, which still report one). */
  result: FlowResult | null;
  error: string | null;
}

/** What may travel with a `complete`, to save round trips: the output's last chunks, and a claim for the freed slot. */
export interface CompleteExtras {
  /** Chunks not sent yet; stored in the same commit as the result, so the output precedes it. */
  output?: OutputChunkInput[];
  /** Claims the next run at once (no wait) for the slot this attempt frees; the answer's `next`. */
  claimNext?: ClaimRequest;
}

export interface CompleteAnswer {
  runId: string;
  /** The run's status after this completion (`queued` when a retry was queued). */
  status: "queued" | "completed" | "failed" | "canceled";
  retrying: boolean;
  /** True when this attempt had already been completed with this token (a resent `complete`): nothing changed. */
  duplicate: boolean;
  /** With `claimNext`: the next run for this worker, or null. A transport may leave it out (then claim as usual). */
  next?: Claim | null;
}

/** The code every transport uses for a refused token, so a worker can tell it from any other failure. */
export const LEASE_LOST = "lease_lost";

/**
 * The caller's lease token no longer holds the attempt: it expired and the run was interrupted or
 * re-claimed, or the attempt finished. The worker must stop the step's process tree and drop its result.
 */
export class LeaseLostError extends Error {
  readonly code = LEASE_LOST;
  constructor(
    readonly attemptId: number,
    reason = "the lease is no longer held (it expired, or the attempt was finished elsewhere)",
  ) {
    super(`attempt ${attemptId}: ${reason}`);
    this.name = "LeaseLostError";
  }
}

/**
 * The control plane refused the call itself (too large, malformed): sending it again cannot help. The
 * worker drops what was refused (with a notice) instead of retrying forever.
 */
export class CallRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CallRefusedError";
  }
}

/** The code a control plane answers with while it shuts down: it takes no new claims, but it is there. */
export const STOPPING = "stopping";

/**
 * The control plane is shutting down: it refuses new claims (and, once its store is closed, everything)
 * until it is back. Not a broken link: it still answers its running attempts' calls meanwhile.
 */
export class ControlPlaneStoppingError extends Error {
  readonly code = STOPPING;
  constructor(message = "the control plane is stopping") {
    super(message);
    this.name = "ControlPlaneStoppingError";
  }
}

/** HTTP paths of the worker endpoints on the local backend. */
export const WORKER_PATHS = {
  claim: "/workers/claim",
  heartbeat: (attemptId: number) => `/attempts/${attemptId}/heartbeat`,
  output: (attemptId: number) => `/attempts/${attemptId}/output`,
  complete: (attemptId: number) => `/attempts/${attemptId}/complete`,
} as const;
