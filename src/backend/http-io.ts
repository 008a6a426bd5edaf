// Reading request bodies under a size limit and writing JSON answers.
import type { IncomingMessage, ServerResponse } from "node:http";

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

/** Past this much unread body a connection is cut instead of drained, so a huge upload cannot tie us up. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** The whole body, or a 413 HttpError once it passes `limit` bytes (the rest is drained, not kept). */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    let size = 0;
    let tooLarge = declared > limit;
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
      else if (size > DRAIN_LIMIT) request.destroy();
    });
    request.on("end", () => {
      if (tooLarge) reject(new HttpError(413, `request body is larger than the limit of ${limit} bytes`, { limit }));
      else resolve(Buffer.concat(chunks));
    });
    request.on("error", reject);
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

/** Parses a JSON body; an empty body is `fallback`. Malformed JSON is a 400 naming the parser's complaint. */
export function parseJsonBody(body: Buffer, fallback?: unknown): unknown {
  if (body.length === 0 && fallback !== undefined) return fallback;
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}
