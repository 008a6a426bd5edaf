// The lease protocol over a Convex app's wrapper functions: what `codex-flows worker --convex URL` speaks.

import { importModule } from "../core/import-module.js";
import {
  type AttemptOutcome,
  type AttemptRef,
  CallRefusedError,
  type Claim,
  type ClaimRequest,
  type CompleteAnswer,
  type CompleteExtras,
  type HeartbeatAnswer,
  LeaseLostError,
  type OutputChunkInput,
} from "../wire/protocol.js";
import type { LeaseProtocol } from "../worker/lease-protocol.js";

/**
 * How the transport reaches the app: a mutation or a query by its function name (`flows:claim`).
 * `convexCaller` makes one from the official ConvexHttpClient; tests pass convex-test's t.mutation /
 * t.query the same way.
 */
export interface ConvexCaller {
  mutation(name: string, args: Record<string, unknown>): Promise<unknown>;
  query(name: string, args: Record<string, unknown>): Promise<unknown>;
}

export interface ConvexLeaseProtocolOptions {
  caller: ConvexCaller;
  /** The shared service secret the app's wrappers check (they take it as `secret`). */
  secret: string;
  /** The app module holding the wrappers: `flows` calls `flows:claim`, `flows:heartbeat`, ... */
  module?: string;
  /** How often a waiting claim asks whether a run became ready (a read, not a write). */
  pollMs?: number;
}

export const DEFAULT_CONVEX_MODULE = "flows";
const DEFAULT_POLL_MS = 250;

type Lost = { lost: true };
const isLost = (answer: unknown): answer is Lost => (answer as { lost?: unknown } | null)?.lost === true;

/** The wrappers' answers without the component's `lost` marker. */
function strip<T>(answer: unknown): T {
  const { lost: _lost, ...rest } = answer as Record<string, unknown>;
  return rest as T;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}

export class ConvexLeaseProtocol implements LeaseProtocol {
  private readonly module: string;
  private readonly pollMs: number;

  constructor(private readonly options: ConvexLeaseProtocolOptions) {
    this.module = options.module ?? DEFAULT_CONVEX_MODULE;
    this.pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  }

  private async call(kind: "mutation" | "query", name: string, args: Record<string, unknown>): Promise<unknown> {
    try {
      return await this.options.caller[kind](`${this.module}:${name}`, { secret: this.options.secret, ...args });
    } catch (error) {
      // The example app's wrappers refuse with ConvexError({code: "unauthorized"}); say which setting to fix.
      const data = (error as { data?: { code?: unknown; message?: unknown } }).data;
      if (data?.code === "unauthorized") {
        throw new Error(
          `the Convex app refused ${this.module}:${name}: its service secret differs from --convex-secret / CODEX_FLOW_CONVEX_SECRET`,
        );
      }
      // Malformed (the component's own checks): the same call would be refused again.
      if (data?.code === "refused") throw new CallRefusedError(`${this.module}:${name}: ${String(data.message)}`);
      throw error;
    }
  }

  private async fenced<T>(attempt: AttemptRef, name: string, args: Record<string, unknown>): Promise<T> {
    const answer = await this.call("mutation", name, { ...attempt, ...args });
    if (isLost(answer)) throw new LeaseLostError(attempt.attemptId);
    return strip<T>(answer);
  }

  private claimNow(request: ClaimRequest): Promise<Claim | null> {
    const { waitMs: _wait, ...rest } = request;
    return this.call("mutation", "claim", { request: rest }) as Promise<Claim | null>;
  }

  /**
   * Mutations cannot wait, so a waiting claim claims, then reads `nextReadyAt` every `pollMs` until a
   * run it can take is ready or the wait is over, and claims again: no writes while nothing is ready.
   */
  async claim(request: ClaimRequest, signal?: AbortSignal): Promise<Claim | null> {
    const deadline = Date.now() + Math.max(0, request.waitMs ?? 0);
    while (true) {
      const claim = await this.claimNow(request);
      if (claim || Date.now() >= deadline || signal?.aborted) return claim;
      while (Date.now() < deadline && !signal?.aborted) {
        await sleep(Math.min(this.pollMs, deadline - Date.now()), signal);
        const readyAt = (await this.call("query", "nextReadyAt", {
          capabilities: request.capabilities,
          exclude: request.exclude,
        })) as number | null;
        if (readyAt !== null && readyAt <= Date.now()) break;
      }
      if (signal?.aborted) return null;
    }
  }

  heartbeat(attempt: AttemptRef): Promise<HeartbeatAnswer> {
    return this.fenced(attempt, "heartbeat", {});
  }

  async appendOutput(attempt: AttemptRef, chunks: OutputChunkInput[]): Promise<void> {
    await this.fenced(attempt, "appendOutput", { chunks });
  }

  async complete(attempt: AttemptRef, outcome: AttemptOutcome, extras: CompleteExtras = {}): Promise<CompleteAnswer> {
    const { claimNext, output } = extras;
    const args: Record<string, unknown> = { outcome };
    if (output?.length) args.output = output;
    if (claimNext)
      args.claimNext = {
        workerId: claimNext.workerId,
        capabilities: claimNext.capabilities,
        exclude: claimNext.exclude,
      };
    await refuseWhatConvexCannotStore(args);
    const answer = await this.fenced<CompleteAnswer>(attempt, "complete", args);
    return claimNext
      ? answer
      : { runId: answer.runId, status: answer.status, retrying: answer.retrying, duplicate: answer.duplicate };
  }
}

/**
 * Convex refuses some object keys (a leading `$`, non-ASCII, over 1024 characters), and its client
 * says so with a plain Error, which the worker would resend forever while the lease ran out. As a
 * refused call it is sent again without the output, then without the FLOW_RESULT (the run fails,
 * saying why), as with any control plane that refuses a completion.
 */
async function refuseWhatConvexCannotStore(args: Record<string, unknown>): Promise<void> {
  const { convexToJson } = await importModule<typeof import("convex/values")>("convex/values");
  try {
    convexToJson(args as never);
  } catch (error) {
    throw new CallRefusedError(`Convex cannot store it: ${(error as Error).message}`);
  }
}

export { convexCaller } from "./convex-caller.js";
