// Error classes the CLI and backend know how to print: each says what went wrong, where, and how to fix it.

export type ErrorCode = "config" | "event" | "usage" | "runner" | "step" | "rpc" | "backend";

export interface FlowErrorOptions {
  /** The file, flow/step or field the error concerns. */
  where?: string;
  /** One sentence on how to fix it. */
  hint?: string;
  cause?: unknown;
}

export class FlowError extends Error {
  readonly code: ErrorCode;
  readonly where?: string;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: FlowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.where = options.where;
    this.hint = options.hint;
  }

  /** The one line the CLI prints: `where: message (hint)`. */
  describe(): string {
    const where = this.where ? `${this.where}: ` : "";
    const hint = this.hint ? ` (${this.hint})` : "";
    return `${where}${this.message}${hint}`;
  }
}

/** A flow.toml, schema or script path that cannot be used. */
export class FlowConfigError extends FlowError {
  constructor(message: string, options: FlowErrorOptions = {}) {
    super("config", message, options);
  }
}

/** An event that is not a valid FlowEvent, or does not fit the step asked for. */
export class EventError extends FlowError {
  constructor(message: string, options: FlowErrorOptions = {}) {
    super("event", message, options);
  }
}

/** Bad command-line input. */
export class UsageError extends FlowError {
  constructor(message: string, options: FlowErrorOptions = {}) {
    super("usage", message, options);
  }
}

/** A runner that cannot be found or loaded, or cannot start its step (missing Bun, missing app-server). */
export class RunnerError extends FlowError {
  constructor(message: string, options: FlowErrorOptions = {}) {
    super("runner", message, options);
  }
}

/** Why a JSON-RPC request got no result: the peer answered with an error, stayed silent, or went away. */
export type RpcFailure = "error-response" | "timeout" | "closed" | "aborted";

/** A JSON-RPC request that failed; `rpcCode` and `data` are the peer's, when it answered with an error. */
export class RpcError extends FlowError {
  readonly method: string;
  readonly failure: RpcFailure;
  readonly rpcCode?: number;
  readonly data?: unknown;

  constructor(
    message: string,
    options: FlowErrorOptions & { method: string; failure: RpcFailure; rpcCode?: number; data?: unknown },
  ) {
    super("rpc", message, { where: options.where ?? options.method, hint: options.hint, cause: options.cause });
    this.method = options.method;
    this.failure = options.failure;
    this.rpcCode = options.rpcCode;
    this.data = options.data;
  }
}

/** The backend service or its store cannot do what was asked (not answering, data dir in use, native module missing). */
export class BackendError extends FlowError {
  constructor(message: string, options: FlowErrorOptions = {}) {
    super("backend", message, options);
  }
}

/** Any error as one readable line; FlowErrors carry their own location and hint. */
export function describeError(error: unknown): string {
  if (error instanceof FlowError) return error.describe();
  if (error instanceof Error) return error.message;
  return String(error);
}
