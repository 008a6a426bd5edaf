// Request signatures: HMAC-SHA256 of a POST body (webhook style), or of method, path and time for any request.
import { createHmac, timingSafeEqual } from "node:crypto";

export const SIGNATURE_HEADER = "x-flow-signature-256";
/** Other names Patch dispatchers give the same header; accepted on event intake only. */
export const SIGNATURE_HEADER_ALIASES = ["x-patch-flow-signature-256", "x-patchbay-flow-signature-256"] as const;
export const TIMESTAMP_HEADER = "x-flow-timestamp";
/** A fresh random value per request, covered by the signature, that makes a state-changing request single-use. */
export const NONCE_HEADER = "x-flow-nonce";
/** 16 to 128 URL-safe characters: long enough to be unguessable when random, and never a method name. */
const NONCE_FORMAT = /^[A-Za-z0-9_-]{16,128}$/;
/** How far a signed request's timestamp may be from the server's clock. */
export const MAX_SKEW_SECONDS = 300;

function hmac(secret: string, data: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(data).digest("hex")}`;
}

/** `sha256=<hex>` of the raw body: what Patchbay and other webhook senders put on a POST. */
export function signBody(secret: string, body: string | Buffer): string {
  return hmac(secret, body);
}

/**
 * `sha256=<hex>` of "<timestamp>\n<METHOD>\n<path and query>\n<body>": binds the request to its
 * endpoint and time, so a captured GET or cancel cannot be replayed elsewhere or later. With a nonce
 * the string is "<timestamp>\n<nonce>\n<METHOD>\n..." (a nonce is never a method name, so the two
 * forms cannot be mistaken for each other), and the service runs the request only once.
 */
export function signRequest(
  secret: string,
  method: string,
  pathAndQuery: string,
  timestamp: string,
  body: string | Buffer = "",
  nonce?: string,
): string {
  const head = nonce === undefined ? `${timestamp}\n` : `${timestamp}\n${nonce}\n`;
  return hmac(
    secret,
    Buffer.concat([Buffer.from(`${head}${method.toUpperCase()}\n${pathAndQuery}\n`), Buffer.from(body)]),
  );
}

function sameSignature(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SignedRequest {
  method: string;
  pathAndQuery: string;
  body: Buffer;
  /**
   * Whether a body-only (webhook) signature is enough here. It binds neither endpoint nor time, so a
   * captured one works anywhere, forever: only for accepting events, which is idempotent by id.
   */
  bodySignatureAllowed: boolean;
  /**
   * Whether the request changes state (replay, cancel): then a request signature must carry a
   * nonce, which the caller remembers, so one captured request cannot be sent again in its window.
   */
  nonceRequired?: boolean;
  signature?: string;
  timestamp?: string;
  nonce?: string;
  /** Seconds since the epoch. */
  now: number;
}

/** Until when (ms since the epoch) a request signed at `timestamp` can be sent: its nonce is remembered that long. */
export function nonceExpiry(timestamp: string): number {
  return (Number(timestamp) + MAX_SKEW_SECONDS + 1) * 1000;
}

/** Undefined when the request proves the secret; otherwise why not (safe to show: it never holds the secret). */
export function signatureProblem(secret: string, request: SignedRequest): string | undefined {
  const { signature, timestamp } = request;
  if (!signature) return `missing ${SIGNATURE_HEADER} header (this service requires signed requests)`;
  if (timestamp !== undefined) {
    const seconds = Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp) || Math.abs(request.now - seconds) > MAX_SKEW_SECONDS) {
      return `${TIMESTAMP_HEADER} must be the current Unix time in seconds (within ${MAX_SKEW_SECONDS} s)`;
    }
    const { nonce } = request;
    if (nonce !== undefined && !NONCE_FORMAT.test(nonce)) {
      return `${NONCE_HEADER} must be 16 to 128 letters, digits, "-" or "_" (a fresh random value per request)`;
    }
    if (nonce === undefined && request.nonceRequired) {
      return `${request.method} ${request.pathAndQuery.split("?")[0]} changes state, so it must be single-use: send a fresh random ${NONCE_HEADER} header (16 to 128 letters, digits, "-" or "_") and sign "<timestamp>\\n<nonce>\\n<METHOD>\\n<path and query>\\n<body>"`;
    }
    const expected = signRequest(secret, request.method, request.pathAndQuery, timestamp, request.body, nonce);
    return sameSignature(expected, signature) ? undefined : `${SIGNATURE_HEADER} does not match the request`;
  }
  if (!request.bodySignatureAllowed) {
    return `${request.method} ${request.pathAndQuery.split("?")[0]} needs a request signature (${TIMESTAMP_HEADER} header plus ${SIGNATURE_HEADER} over timestamp, method, path and body); body-only signatures are accepted on POST /events and /flow-events only`;
  }
  return sameSignature(signBody(secret, request.body), signature)
    ? undefined
    : `${SIGNATURE_HEADER} does not match the body`;
}
