// The worker's calls to a Convex app over the official ConvexHttpClient: side by side, each with a timeout, failures as link errors.
import { BackendError, UsageError } from "../core/errors.js";
import { importModule } from "../core/import-module.js";
import type { ConvexCaller } from "./convex-lease-protocol.js";

/**
 * A call with no answer in this long counts as failed (and is retried), as over HTTP
 * (src/client/http-lease-protocol.ts): a heartbeat is due every lease/3 (10 s of the default 30 s),
 * so a hung call must give up well before the lease does.
 */
export const CONVEX_CALL_TIMEOUT_MS = 15_000;

export interface ConvexCallerOptions {
  timeoutMs?: number;
}

/** Each request ends after `timeoutMs`, answer body included (the abort reaches the body's stream too). */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetch(input, { ...init, signal });
  };
}

/**
 * A link failure as the HTTP transport reports one (a BackendError the worker loop logs once and
 * retries with backoff); anything else, a function's own error, passes through.
 */
function linkError(error: unknown, url: string, name: string, timeoutMs: number): unknown {
  const named = (error as { name?: unknown } | null)?.name;
  if (named === "TimeoutError" || named === "AbortError") {
    return new BackendError(`the Convex deployment at ${url} did not answer ${name} within ${timeoutMs} ms`, {
      cause: error,
    });
  }
  // Node's fetch says "fetch failed" for a refused connection, a reset, DNS; the cause has the code.
  if (error instanceof TypeError && error.message === "fetch failed") {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    const code = String(cause?.code ?? cause?.message ?? error.message);
    return new BackendError(`no Convex deployment is answering at ${url} (${code})`, { cause: error });
  }
  return error;
}

/**
 * A ConvexCaller over the official client (`new ConvexHttpClient(url)` from "convex/browser").
 * Mutations skip the client's queue: it sends one at a time, so one stalled call (a heartbeat on a
 * bad link) held every other slot's heartbeats behind it until their leases ran out.
 */
export async function convexCaller(url: string, options: ConvexCallerOptions = {}): Promise<ConvexCaller> {
  let modules: [typeof import("convex/browser"), typeof import("convex/server")];
  try {
    modules = await Promise.all([
      importModule<typeof import("convex/browser")>("convex/browser"),
      importModule<typeof import("convex/server")>("convex/server"),
    ]);
  } catch (error) {
    throw new UsageError(`--convex needs the "convex" package next to codex-flows: ${(error as Error).message}`, {
      hint: "npm install convex (a peer dependency of codex-flows)",
    });
  }
  const [{ ConvexHttpClient }, { makeFunctionReference }] = modules;
  const timeoutMs = options.timeoutMs ?? CONVEX_CALL_TIMEOUT_MS;
  const client = new ConvexHttpClient(url, { fetch: fetchWithTimeout(timeoutMs) });
  const guarded = async (name: string, call: () => Promise<unknown>) => {
    try {
      return await call();
    } catch (error) {
      throw linkError(error, url, name, timeoutMs);
    }
  };
  return {
    mutation: (name, args) =>
      guarded(name, () => client.mutation(makeFunctionReference<"mutation">(name), args, { skipQueue: true })),
    query: (name, args) => guarded(name, () => client.query(makeFunctionReference<"query">(name), args)),
  };
}
