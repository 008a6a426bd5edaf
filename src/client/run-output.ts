// Following a run's output from the backend: GET /runs/<id>/output as Server-Sent Events (parsed here: Node 20 has no EventSource), or as JSON pages.
import { setTimeout as sleep } from "node:timers/promises";
import { BackendError } from "../core/errors.js";
import type { FlowResult } from "../core/types.js";
import { type BackendClient, BackendHttpError, pathSegment } from "./backend-client.js";

export interface RunOutputChunk {
  attempt: number;
  index: number;
  stream: string;
  text: string;
  at: string;
}

/** The stream's `end` event: the run's final status. */
export interface RunEnd {
  status: "completed" | "failed" | "canceled";
  result: FlowResult | null;
  error: string | null;
}

export interface FollowHandlers {
  chunk(chunk: RunOutputChunk): void;
  status?(status: { status: string; attempt: number }): void;
}

/** The service pings every 15 s: three missed pings mean the link is dead, and the stream is opened again. */
const SILENCE_MS = 45_000;
/** How long the service may be unreachable (a restart) before following gives up. */
const OUTAGE_MS = 60_000;

/** One parsed event of a text/event-stream. */
export interface SseMessage {
  event: string;
  id?: string;
  data: string;
}

/** Splits a text/event-stream into events as its pieces arrive (lines end in LF, CRLF or CR). */
export async function* sseMessages(body: AsyncIterable<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event = "message";
  let id: string | undefined;
  let data: string[] = [];
  for await (const piece of body) {
    buffer += decoder.decode(piece, { stream: true });
    let match = /\r\n|\r|\n/.exec(buffer);
    // A CR at the very end may be the first half of a CRLF: wait for the next piece.
    while (match && !(match[0] === "\r" && match.index === buffer.length - 1)) {
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === "") {
        if (data.length > 0) yield { event, id, data: data.join("\n") };
        event = "message";
        id = undefined;
        data = [];
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
        else if (field === "id") id = value;
      }
      match = /\r\n|\r|\n/.exec(buffer);
    }
  }
}

/**
 * Streams the run's output from the start (or after `after`, an `<attempt>:<index>`) until the run is
 * final, and answers its end. A stream that drops (the service restarting, a dead link) is opened
 * again with `Last-Event-ID`, so no chunk is lost or shown twice; an answer such as 404 or 401 throws.
 */
export async function followRunOutput(
  client: BackendClient,
  runId: string,
  handlers: FollowHandlers,
  options: { signal?: AbortSignal; after?: string } = {},
): Promise<RunEnd> {
  let cursor = options.after;
  let lastContact = Date.now();
  let delay = 200;
  while (true) {
    try {
      const headers: Record<string, string> = { accept: "text/event-stream" };
      if (cursor !== undefined) headers["last-event-id"] = cursor;
      const answer = await client.openStream(`/runs/${pathSegment(runId)}/output`, headers, {
        signal: options.signal,
        bodyTimeoutMs: SILENCE_MS,
      });
      lastContact = Date.now();
      delay = 200;
      for await (const message of sseMessages(answer.body)) {
        lastContact = Date.now();
        if (message.event === "chunk") {
          const chunk = JSON.parse(message.data) as RunOutputChunk;
          if (message.id !== undefined) cursor = message.id;
          handlers.chunk(chunk);
        } else if (message.event === "status") {
          handlers.status?.(JSON.parse(message.data) as { status: string; attempt: number });
        } else if (message.event === "end") {
          answer.body.destroy();
          return JSON.parse(message.data) as RunEnd;
        }
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const stopping = error instanceof BackendHttpError && error.status === 503;
      if (error instanceof BackendHttpError && !stopping) throw error;
      // A service in its grace period answers, if only to say so: a long grace is not an outage.
      if (stopping) lastContact = Date.now();
      if (!(error instanceof BackendError) && !isStreamError(error)) throw error;
    }
    // The stream ended without `end`: the service stopped (or the link died). Try again shortly.
    if (Date.now() - lastContact > OUTAGE_MS) {
      throw new BackendError(
        `lost the output stream of run ${runId}: the service has not answered for ${OUTAGE_MS / 1000} s`,
        {
          hint: "is `codex-flows backend serve` still running? `codex-flows backend logs <run-id> -f` picks up again",
        },
      );
    }
    await sleep(delay, undefined, { signal: options.signal });
    delay = Math.min(2_000, delay * 2);
  }
}

/** Socket errors that mean the link dropped, not a mistake here (which must not be retried quietly). */
const LINK_ERRORS = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNABORTED",
]);

/** A socket closed or timed out mid-stream (undici's errors, or a reset). */
function isStreamError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (code.startsWith("UND_ERR") || LINK_ERRORS.has(code));
}

/** Every stored chunk, page by page (the JSON form), and the run's status. */
export async function storedRunOutput(
  client: BackendClient,
  runId: string,
  onChunk: (chunk: RunOutputChunk) => void,
): Promise<string> {
  let after: string | null = null;
  let status = "";
  do {
    const query: string = after === null ? "" : `&after=${encodeURIComponent(after)}`;
    const { body } = await client.send<{ chunks: RunOutputChunk[]; next: string | null; status: string }>(
      "GET",
      `/runs/${pathSegment(runId)}/output?limit=10000${query}`,
    );
    for (const chunk of body.chunks) onChunk(chunk);
    after = body.next;
    status = body.status;
  } while (after !== null);
  return status;
}
