// Reading request bodies under a size limit and writing JSON answers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.js";

/** An error answer: its status and JSON body reach the client as they are. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The client hung up before its request was complete: nobody is left to answer, and nothing went wrong here. */
export class ClientGone extends Error {
  constructor() {
    super("the client closed the connection before its request was complete");
  }
}

/** Past this much unread body the 413 is sent at once instead of after draining, so a huge upload cannot tie us up. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
/**
 * After such an early 413, how long the bytes still arriving are read and dropped before the
 * connection is cut: closing at once would reset the connection and often lose the answer with it.
 */
const LINGER_MS = 2_000;

/** The whole body, or a 413 HttpError once it passes `limit` bytes (the rest is drained, not kept). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    let size = 0;
    let tooLarge = false;
    let settled = false;
    const chunks: Buffer[] = [];
    const settle = (finish: () => void) => {
      if (settled) return;
      settled = true;
      finish();
    };
    const tooLargeError = (headers: Record<string, string>) =>
      new HttpError(413, `request body is larger than the limit of ${limit} bytes`, { limit }, headers);
    const refuseNow = () => {
      tooLarge = true;
      // Kept alive on purpose: a `connection: close` answer would close the socket right after it,
      // while the client is still sending, and the reset that follows can swallow the answer.
      settle(() => reject(tooLargeError({})));
      const linger = setTimeout(() => request.socket.destroy(), LINGER_MS).unref();
      request.once("end", () => clearTimeout(linger));
    };
    // A declared length past the limit is refused from the header alone: waiting for a body that may
    // never come (a 1 TiB declaration) would hold the connection for nothing.
    if (declared > limit) refuseNow();
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > DRAIN_LIMIT && !settled) refuseNow();
    });
    request.on("end", () =>
      settle(() => (tooLarge ? reject(tooLargeError({ connection: "close" })) : resolve(Buffer.concat(chunks)))),
    );
    // An error or a close before the end both mean the client went away mid-body.
    request.on("error", () => settle(() => reject(new ClientGone())));
    request.on("close", () => settle(() => reject(new ClientGone())));
  });
}

export function sendJson(
  response: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

/** Refuses bytes that are not UTF-8 instead of replacing them with U+FFFD: two ids differing only there would merge. */
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body as text; invalid UTF-8 is a 400 naming the first bad byte. */
export function bodyText(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw new HttpError(
      400,
      `request body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(body)}); send JSON encoded as UTF-8, with other bytes as \\u escapes`,
      { offset: firstInvalidUtf8(body) },
    );
  }
}

/** Where UTF-8 decoding first fails: only on the error path, so a plain scan is fine. */
function firstInvalidUtf8(body: Buffer): number {
  let index = 0;
  while (index < body.length) {
    const byte = body[index] as number;
    const length =
      byte < 0x80
        ? 1
        : byte >= 0xc2 && byte <= 0xdf
          ? 2
          : byte >= 0xe0 && byte <= 0xef
            ? 3
            : byte >= 0xf0 && byte <= 0xf4
              ? 4
              : 0;
    if (length === 0 || index + length > body.length) return index;
    try {
      utf8.decode(body.subarray(index, index + length));
    } catch {
      return index;
    }
    index += length;
  }
  return index;
}

/**
 * Parses a JSON body; an empty body is `fallback`. Malformed JSON is a 400 naming the parser's
 * complaint, and so is JSON nested deeper than MAX_JSON_DEPTH.
 */
export function parseJsonBody(body: Buffer, fallback?: unknown): unknown {
  if (body.length === 0 && fallback !== undefined) return fallback;
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw new HttpError(400, `request body is JSON nested deeper than ${MAX_JSON_DEPTH} levels; flatten it`, {
      limit: MAX_JSON_DEPTH,
    });
  }
  const text = bodyText(body);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}
