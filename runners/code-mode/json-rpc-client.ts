// A JSON-RPC 2.0 client over a pair of streams, one JSON object per line each way (the Codex app-server's stdio).
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { RpcError } from "../../src/core/errors.js";

export type RpcId = number | string;

export interface RpcErrorBody {
  code: number;
  message: string;
  data?: unknown;
}

/** JSON-RPC's "method not found": the answer to peer requests nobody handles. */
export const METHOD_NOT_FOUND = -32601;
/** JSON-RPC's "internal error": a request handler that threw. */
export const INTERNAL_ERROR = -32603;

export type NotificationListener = (method: string, params: unknown) => void;

export interface JsonRpcClientOptions {
  /**
   * Handles a request the peer sends us. Return the result, or throw an RpcError carrying `rpcCode`.
   * Without a handler every peer request is answered with "method not found".
   */
  onRequest?(method: string, params: unknown): unknown;
  /** A line that is not a JSON-RPC message; the connection carries on. */
  onUnparseable?(line: string, reason: string): void;
  /** The number of milliseconds a request may wait for its answer, unless the request says otherwise. */
  defaultTimeoutMs?: number;
}

export interface RequestOptions {
  /** Give up after this many milliseconds (0 or absent: wait as long as the connection lives). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  method: string;
  resolve(value: unknown): void;
  reject(error: RpcError): void;
}

type Message = Record<string, unknown>;

const isObject = (value: unknown): value is Message =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export class JsonRpcClient {
  private nextId = 1;
  private readonly pending = new Map<RpcId, Pending>();
  private readonly listeners = new Set<NotificationListener>();
  private closedBy: RpcError | undefined;

  constructor(
    input: Readable,
    private readonly output: Writable,
    private readonly options: JsonRpcClientOptions = {},
  ) {
    const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on("line", (line) => this.receive(line));
    lines.on("close", () => this.close("the connection closed"));
    // A peer that dies makes writes fail with EPIPE; that is a close, not a crash.
    output.on("error", (error) => this.close(`writing failed (${error.message})`));
  }

  get closed(): boolean {
    return this.closedBy !== undefined;
  }

  /** Sends a request and resolves with its result; rejects with an RpcError saying why there is none. */
  request<T = unknown>(method: string, params?: unknown, options: RequestOptions = {}): Promise<T> {
    if (this.closedBy) return Promise.reject(this.failure(method, "closed", this.closedBy.message));
    const id = this.nextId++;
    const timeoutMs = options.timeoutMs ?? this.options.defaultTimeoutMs ?? 0;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const abort = () => settle.reject(this.failure(method, "aborted", "the request was aborted"));
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", abort);
        this.pending.delete(id);
      };
      const settle: Pending = {
        method,
        resolve: (value) => {
          cleanup();
          resolve(value as T);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      if (options.signal?.aborted) return abort();
      this.pending.set(id, settle);
      options.signal?.addEventListener("abort", abort, { once: true });
      if (timeoutMs > 0) {
        timer = setTimeout(
          () => settle.reject(this.failure(method, "timeout", `no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }
      this.send({ jsonrpc: "2.0", id, method, ...(params === undefined ? {} : { params }) });
    });
  }

  /** Sends a notification (no answer expected). */
  notify(method: string, params?: unknown): void {
    if (!this.closedBy) this.send({ jsonrpc: "2.0", method, ...(params === undefined ? {} : { params }) });
  }

  /** Calls `listener` for every notification the peer sends; returns the function that stops it. */
  onNotification(listener: NotificationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Fails every waiting request with `reason`; later requests fail at once. Idempotent. */
  close(reason = "the client was closed"): void {
    if (this.closedBy) return;
    this.closedBy = this.failure("(connection)", "closed", reason);
    for (const waiting of [...this.pending.values()]) {
      waiting.reject(this.failure(waiting.method, "closed", reason));
    }
    this.listeners.clear();
  }

  private failure(method: string, failure: RpcError["failure"], detail: string): RpcError {
    return new RpcError(detail, { method, failure });
  }

  private send(message: Message): void {
    this.output.write(`${JSON.stringify(message)}\n`);
  }

  private receive(line: string): void {
    if (line.trim() === "") return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (error) {
      this.options.onUnparseable?.(line, `not JSON (${(error as Error).message})`);
      return;
    }
    // The Codex app-server leaves out `"jsonrpc": "2.0"`, so its presence is not required.
    if (!isObject(message)) {
      this.options.onUnparseable?.(line, "not a JSON object");
    } else if (typeof message.method === "string" && message.id !== undefined) {
      void this.answer(message.id as RpcId, message.method, message.params);
    } else if (typeof message.method === "string") {
      for (const listener of [...this.listeners]) listener(message.method, message.params);
    } else if (message.id !== undefined && ("result" in message || "error" in message)) {
      this.settle(message);
    } else {
      this.options.onUnparseable?.(line, "not a JSON-RPC request, response or notification");
    }
  }

  private settle(message: Message): void {
    const waiting = this.pending.get(message.id as RpcId);
    if (!waiting) return; // An answer to a request that already timed out or was aborted.
    // Some peers send `"error": null` beside a result; only an actual error object is a failure.
    if (message.error === undefined || message.error === null) {
      waiting.resolve(message.result);
      return;
    }
    const body = (isObject(message.error) ? message.error : {}) as Partial<RpcErrorBody>;
    const code = typeof body.code === "number" ? body.code : undefined;
    waiting.reject(
      new RpcError(`error ${code ?? "(no code)"}: ${body.message ?? "(no message)"}`, {
        method: waiting.method,
        failure: "error-response",
        rpcCode: code,
        data: body.data,
      }),
    );
  }

  private async answer(id: RpcId, method: string, params: unknown): Promise<void> {
    let reply: Message;
    if (!this.options.onRequest) {
      reply = { error: { code: METHOD_NOT_FOUND, message: `this client handles no requests (got ${method})` } };
    } else {
      try {
        reply = { result: (await this.options.onRequest(method, params)) ?? null };
      } catch (error) {
        const code = error instanceof RpcError && error.rpcCode !== undefined ? error.rpcCode : INTERNAL_ERROR;
        reply = { error: { code, message: error instanceof Error ? error.message : String(error) } };
      }
    }
    if (!this.closedBy) this.send({ jsonrpc: "2.0", id, ...reply });
  }
}
