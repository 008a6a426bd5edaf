// The lease protocol over HTTP to a local backend: what `codex-flows worker --url` speaks.
import {
  type AttemptOutcome,
  type AttemptRef,
  CallRefusedError,
  type Claim,
  type ClaimRequest,
  type CompleteAnswer,
  type CompleteExtras,
  ControlPlaneStoppingError,
  type HeartbeatAnswer,
  LEASE_LOST,
  LeaseLostError,
  type OutputChunkInput,
  STOPPING,
  WORKER_PATHS,
} from "../wire/protocol.js";
import type { LeaseProtocol } from "../worker/lease-protocol.js";
import { type BackendClient, BackendHttpError } from "./backend-client.js";

/** A call that gets no answer in this long counts as failed (and is retried); a claim's wait comes on top. */
const CALL_TIMEOUT_MS = 15_000;

export class HttpLeaseProtocol implements LeaseProtocol {
  constructor(private readonly client: BackendClient) {}

  private async post<T>(path: string, body: unknown, attemptId?: number, signal?: AbortSignal, waitMs = 0): Promise<T> {
    try {
      const answer = await this.client.send<T>("POST", path, body, {
        signal,
        timeoutMs: CALL_TIMEOUT_MS + waitMs,
        retryOnReset: true,
      });
      return answer.body;
    } catch (error) {
      if (attemptId !== undefined && error instanceof BackendHttpError && error.answer.code === LEASE_LOST) {
        throw new LeaseLostError(attemptId);
      }
      // 400 (malformed), 413 (too large), 404: the same request would get the same answer.
      if (error instanceof BackendHttpError && [400, 404, 413].includes(error.status)) {
        throw new CallRefusedError(error.message);
      }
      if (error instanceof BackendHttpError && error.status === 503 && error.answer.code === STOPPING) {
        throw new ControlPlaneStoppingError(error.message);
      }
      throw error;
    }
  }

  async claim(request: ClaimRequest, signal?: AbortSignal): Promise<Claim | null> {
    const answer = await this.post<{ claim: Claim | null }>(
      WORKER_PATHS.claim,
      request,
      undefined,
      signal,
      request.waitMs,
    );
    return answer.claim;
  }

  heartbeat(attempt: AttemptRef): Promise<HeartbeatAnswer> {
    return this.post(WORKER_PATHS.heartbeat(attempt.attemptId), { leaseToken: attempt.leaseToken }, attempt.attemptId);
  }

  async appendOutput(attempt: AttemptRef, chunks: OutputChunkInput[]): Promise<void> {
    await this.post(
      WORKER_PATHS.output(attempt.attemptId),
      { leaseToken: attempt.leaseToken, chunks },
      attempt.attemptId,
    );
  }

  complete(attempt: AttemptRef, outcome: AttemptOutcome, extras: CompleteExtras = {}): Promise<CompleteAnswer> {
    return this.post(
      WORKER_PATHS.complete(attempt.attemptId),
      { leaseToken: attempt.leaseToken, outcome, ...extras },
      attempt.attemptId,
    );
  }
}
