// The slice of the Codex app-server protocol the code-mode runner speaks: method names, the generated message types it uses, readers.
import { RpcError } from "../../src/core/errors.js";
import { METHOD_NOT_FOUND } from "./json-rpc-client.js";
import type { CodeModeExecuteParams } from "./protocol/code-mode-execute.js";
import type { InitializeParams, v2 } from "./protocol/generated/index.js";

export type { CodeModeExecuteParams, CodeModeExecuteResponse } from "./protocol/code-mode-execute.js";
export { CODEX_PROTOCOL_VERSION } from "./protocol/codex-version.js";

export const METHODS = {
  initialize: "initialize",
  initialized: "initialized",
  threadStart: "thread/start",
  execute: "thread/codeMode/execute",
  threadRead: "thread/read",
} as const;

export const NOTIFICATIONS = {
  agentDelta: "item/agentMessage/delta",
  commandOutputDelta: "item/commandExecution/outputDelta",
  turnCompleted: "turn/completed",
} as const;

/** JSON-RPC's "invalid request": what stock Codex answers for a method its request enum lacks. */
export const INVALID_REQUEST = -32600;

/**
 * The generated types mark a Rust `Option` field as required `T | null`, but the server reads a missing one as
 * null, so what the runner sends may leave those out.
 */
export type Outgoing<T> = { [K in keyof T as null extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as null extends T[K] ? K : never]?: T[K];
};

/** What arrives is read defensively: other builds (and stand-ins) may send less than the generated types say. */
export type Incoming<T> = T extends readonly (infer E)[]
  ? Incoming<E>[]
  : T extends object
    ? { [K in keyof T]?: Incoming<T[K]> | null }
    : T;

/** Sandbox modes `thread/start` accepts (checked against the generated `SandboxMode`). */
export const SANDBOX_MODES = [
  "read-only",
  "workspace-write",
  "danger-full-access",
] as const satisfies readonly v2.SandboxMode[];
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export type InitializeRequest = Outgoing<InitializeParams> & { clientInfo: Outgoing<InitializeParams["clientInfo"]> };
export type ThreadStartRequest = v2.ThreadStartParams;
export type ThreadReadRequest = v2.ThreadReadParams;
export type ExecuteRequest = CodeModeExecuteParams;

export type ThreadItem = Incoming<v2.ThreadItem>;
export type Turn = Incoming<v2.Turn>;
export type ThreadStartResult = Incoming<v2.ThreadStartResponse>;
export type ThreadReadResult = Incoming<v2.ThreadReadResponse>;
export type DeltaParams = Incoming<v2.AgentMessageDeltaNotification | v2.CommandExecutionOutputDeltaNotification>;
export type TurnCompletedParams = Incoming<v2.TurnCompletedNotification>;

/**
 * Whether an error is the server saying it does not know `thread/codeMode/execute`. Stock Codex 0.169 fails
 * to decode the request (-32600 "unknown variant `thread/codeMode/execute`"); other builds say -32601.
 */
export function isMissingCodeMode(error: unknown): error is RpcError {
  if (!(error instanceof RpcError) || error.failure !== "error-response" || error.method !== METHODS.execute) {
    return false;
  }
  if (error.rpcCode === METHOD_NOT_FOUND) return true;
  return error.rpcCode === INVALID_REQUEST && error.message.includes(`unknown variant \`${METHODS.execute}\``);
}

/**
 * The agent message texts of a thread/read answer, each ending in a newline so a FLOW_RESULT written by one
 * message stays on its own line. Only the turn that ran the script counts when it can be told apart.
 */
export function agentMessageText(read: ThreadReadResult | undefined, turnId: string | null | undefined): string {
  const turns = read?.thread?.turns ?? [];
  const ours = turns.filter((turn) => typeof turnId === "string" && turn.id === turnId);
  const texts: string[] = [];
  for (const turn of ours.length > 0 ? ours : turns) {
    for (const item of turn.items ?? []) {
      if (item.type === "agentMessage" && typeof item.text === "string" && item.text !== "") {
        texts.push(item.text.endsWith("\n") ? item.text : `${item.text}\n`);
      }
    }
  }
  return texts.join("");
}
