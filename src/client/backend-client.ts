// The HTTP client the CLI uses to talk to a running backend; it signs every request when a secret is set.
import { randomBytes } from "node:crypto";
import { type Dispatcher, getGlobalDispatcher } from "undici";
import { BackendError } from "../core/errors.js";
import { NONCE_HEADER, SIGNATURE_HEADER, signRequest, TIMESTAMP_HEADER } from "../wire/signature.js";
import { type ClientConfig, resolveClientConfig } from "./client-config.js";

export interface BackendAnswer<T> {
  status: number;
  body: T;
}

/** A path segment for an id: percent-encoded, and never a bare `.` or `..`, which proxies would resolve. */
export function pathSegment(id: string): string {
  const encoded = encodeURIComponent(id);
  return /^\.+$/.test(encoded) ? encoded.replaceAll(".", "%2E") : encoded;
}

/** Thrown for an HTTP error answer; `status` lets callers tell "not found" from a refused signature. */
export class BackendHttpError extends BackendError {
  constructor(
    readonly status: number,
    message: string,
    where: string,
    /** The answer's JSON body, e.g. `{ error, code }`. */
    readonly answer: Record<string, unknown> = {},
  ) {
    super(message, { where });
  }
}

export interface SendOptions {
  /** Aborts the request (a worker stopping while its claim waits). */
  signal?: AbortSignal;
  /** How long to wait for the answer's headers; undici's default is 300 s. */
  timeoutMs?: number;
  /**
   * Send once more (undici takes another live connection or opens one) when the connection closes
   * before any answer. A service closes idle keep-alive connections when it stops (and Node's
   * keep-alive timeout does the same), so a request sent on one just then meets a closed socket and
   * never reaches the service: without a second try a worker reported a stopping backend as "not
   * answering", then "answers again". Only for calls that are safe to repeat: lease-fenced ones, and
   * claims (a claim whose answer was lost waits out its lease, as it would anyway).
   */
  retryOnReset?: boolean;
}

/** undici's "other side closed", the kernel's reset, a write to a closed socket: no answer came on it. */
const RESET_CODES = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE"]);

export class BackendClient {
  readonly config: ClientConfig;

  constructor(config: ClientConfig) {
    this.config = config;
  }

  static fromFlags(flags: { url?: string; secret?: string }, env: NodeJS.ProcessEnv = process.env): BackendClient {
    return new BackendClient(resolveClientConfig(flags, env));
  }

  /** Sends one request; answers with status < 400 come back, others throw a BackendHttpError with the service's message. */
  async send<T = Record<string, unknown>>(
    method: "GET" | "POST",
    path: string,
    body?: unknown,
    options: SendOptions = {},
  ): Promise<BackendAnswer<T>> {
    const payload = body === undefined ? (method === "POST" ? "{}" : "") : JSON.stringify(body);
    const headers: Record<string, string> = { accept: "application/json" };
    if (method === "POST") headers["content-type"] = "application/json";
    const answer = await this.request(method, path, payload, headers, options);
    return this.answerOf<T>(answer, method, path);
  }

  /**
   * A GET whose answer is read as it arrives (Server-Sent Events): the open answer when it is 200,
   * else a BackendHttpError as `send` throws. `bodyTimeoutMs` bounds the silence between two pieces.
   */
  async openStream(
    path: string,
    headers: Record<string, string>,
    options: { signal?: AbortSignal; bodyTimeoutMs: number },
  ): Promise<Dispatcher.ResponseData> {
    const answer = await this.request("GET", path, "", headers, {
      signal: options.signal,
      bodyTimeoutMs: options.bodyTimeoutMs,
    });
    if (answer.statusCode !== 200) {
      await this.answerOf(answer, "GET", path);
      answer.body.destroy();
      throw new BackendHttpError(answer.statusCode, `HTTP ${answer.statusCode}`, `GET ${this.config.url}${path}`);
    }
    return answer;
  }

  private async request(
    method: "GET" | "POST",
    path: string,
    payload: string,
    headers: Record<string, string>,
    options: SendOptions & { bodyTimeoutMs?: number },
  ): Promise<Dispatcher.ResponseData> {
    // The path goes out as given: a URL object would resolve `.` and `..` segments (event ids may be
    // exactly that) and the request would reach another endpoint.
    const base = new URL(this.config.url);
    const fullPath = `${base.pathname.replace(/\/+$/, "")}${path}`;
    const sign = () => {
      if (this.config.secret === undefined) return;
      const timestamp = String(Math.floor(Date.now() / 1000));
      // A fresh nonce per request: the service runs a state-changing signed request only once.
      const nonce = randomBytes(16).toString("hex");
      headers[TIMESTAMP_HEADER] = timestamp;
      headers[NONCE_HEADER] = nonce;
      headers[SIGNATURE_HEADER] = signRequest(this.config.secret, method, fullPath, timestamp, payload, nonce);
    };
    const send = () =>
      getGlobalDispatcher().request({
        origin: base.origin,
        path: fullPath,
        method,
        headers,
        body: method === "POST" ? payload : undefined,
        signal: options.signal,
        ...(options.timeoutMs === undefined
          ? {}
          : { headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs }),
        ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeout: options.bodyTimeoutMs }),
      });
    sign();
    try {
      try {
        return await send();
      } catch (error) {
        const reset = RESET_CODES.has((error as NodeJS.ErrnoException).code ?? "");
        if (!options.retryOnReset || !reset || options.signal?.aborted) throw error;
        sign(); // signed anew: the first nonce may have reached the service after all
        return await send();
      }
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new BackendError(`no codex-flows backend is answering at ${this.config.url} (${code})`, {
        hint: "start it with `codex-flows backend serve`, or point --url / CODEX_FLOW_BACKEND_URL at the running service",
        cause: error,
      });
    }
  }

  private async answerOf<T>(answer: Dispatcher.ResponseData, method: string, path: string): Promise<BackendAnswer<T>> {
    const text = await answer.body.text();
    let parsed: unknown;
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      throw new BackendError(`the service at ${this.config.url} answered ${answer.statusCode} with non-JSON text`, {
        hint: "is --url pointing at a codex-flows backend?",
      });
    }
    if (answer.statusCode >= 400) {
      const message = (parsed as { error?: unknown }).error;
      const hint =
        answer.statusCode === 401 ? " (set the service's secret with --secret or CODEX_FLOW_BACKEND_SECRET)" : "";
      throw new BackendHttpError(
        answer.statusCode,
        `${typeof message === "string" ? message : `HTTP ${answer.statusCode}`}${hint}`,
        `${method} ${this.config.url}${path}`,
        parsed as Record<string, unknown>,
      );
    }
    return { status: answer.statusCode, body: parsed as T };
  }
}
