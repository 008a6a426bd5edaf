// The slice of the Codex app-server protocol the code-mode runner speaks: method names, shapes and readers.
import { RpcError } from "../../src/core/errors.js";
import { METHOD_NOT_FOUND } from "./json-rpc-client.js";

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

/** Sandbox modes `thread/start` accepts. */
export const SANDBOX_MODES = ["read-only", "workspace-write", "danger-full-access"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export interface ThreadItem {
  type: string;
  id?: string;
  text?: string;
}

export interface Turn {
  id?: string;
  status?: "completed" | "interrupted" | "failed" | "inProgress" | string;
  error?: { message?: string } | null;
  items?: ThreadItem[];
}

export interface ThreadStartResult {
  thread?: { id?: unknown };
}

export interface ThreadReadResult {
  thread?: { id?: string; turns?: Turn[] };
}

export interface ThreadScoped {
  threadId?: string;
}

export interface DeltaParams extends ThreadScoped {
  delta?: string;
}

export interface TurnCompletedParams extends ThreadScoped {
  turn?: Turn;
}

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
export function agentMessageText(read: ThreadReadResult | undefined, turnId: string | undefined): string {
  const turns = read?.thread?.turns ?? [];
  const ours = turns.filter((turn) => turnId !== undefined && turn.id === turnId);
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
