// One code-mode step as a conversation with an app-server: handshake, thread, execute, wait, read the result.
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { version } from "../../package.json";
import { type FlowError, RpcError, RunnerError } from "../../src/core/errors.js";
import { TailBuffer } from "../../src/process/tail-buffer.js";
import { findResultLine, RESULT_PREFIX } from "../../src/runner/result.js";
import type { RunnerIO, RunnerOutput, StepInvocation } from "../../src/runner/runner.js";
import { CHOOSING_HINT, formatCommand } from "./app-server-command.js";
import { type AppServerProcess, startAppServer } from "./app-server-process.js";
import {
  agentMessageText,
  type CodeModeExecuteResponse,
  type DeltaParams,
  type ExecuteRequest,
  type InitializeRequest,
  isMissingCodeMode,
  METHODS,
  NOTIFICATIONS,
  SANDBOX_MODES,
  type SandboxMode,
  type ThreadReadRequest,
  type ThreadReadResult,
  type ThreadStartRequest,
  type ThreadStartResult,
  type Turn,
  type TurnCompletedParams,
} from "./app-server-protocol.js";
import { JsonRpcClient, METHOD_NOT_FOUND } from "./json-rpc-client.js";
import { buildSource } from "./prelude.js";

export const SANDBOX_VARIABLE = "CODEX_FLOWS_CODE_MODE_SANDBOX";
/** Unattended steps write in their own folder and nowhere else; no one is there to approve more. */
const DEFAULT_SANDBOX: SandboxMode = "workspace-write";
/** After `turn/completed`, the answer to thread/read is immediate; past this the streamed text is used. */
const THREAD_READ_TIMEOUT_MS = 30_000;
const STREAM_KEEP = 8 * 1024 * 1024;
/** How long a closed connection waits for the process's exit report before saying only "closed". */
const EXIT_REPORT_WAIT_MS = 2_000;

function sandboxFor(env: NodeJS.ProcessEnv): SandboxMode {
  const value = env[SANDBOX_VARIABLE]?.trim();
  if (!value) return DEFAULT_SANDBOX;
  if ((SANDBOX_MODES as readonly string[]).includes(value)) return value as SandboxMode;
  throw new RunnerError(`${SANDBOX_VARIABLE} is "${value}", which is not a sandbox mode`, {
    hint: `use one of ${SANDBOX_MODES.join(", ")} (default ${DEFAULT_SANDBOX})`,
  });
}

/** Rejects when the step is aborted (timeout or cancel); the engine words that itself. */
function abortion(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const fail = () => reject(new RunnerError("the code-mode step was stopped before it finished"));
    if (signal.aborted) fail();
    else signal.addEventListener("abort", fail, { once: true });
  });
}

/** Turns protocol failures into the plain-words errors a flow author can act on. */
function explain(error: unknown, server: AppServerProcess): unknown {
  if (isMissingCodeMode(error)) {
    const answer = error.message.length > 160 ? `${error.message.slice(0, 160)}...` : error.message;
    return new RunnerError(
      `this Codex build has no Code Mode: the app-server started by \`${formatCommand(server.resolved)}\` ` +
        `does not know ${METHODS.execute} (it answered ${answer})`,
      { hint: CHOOSING_HINT, cause: error },
    );
  }
  if (error instanceof RpcError && error.failure === "error-response") {
    return new RunnerError(`the Codex app-server refused ${error.method}: ${error.message}`, { cause: error });
  }
  if (error instanceof RpcError) {
    return new RunnerError(`the Codex app-server connection failed during ${error.method}: ${error.message}`, {
      cause: error,
    });
  }
  return error;
}

export async function runCodeModeStep(invocation: StepInvocation, io: RunnerIO): Promise<RunnerOutput> {
  const source = await buildSource(invocation.context, invocation.script);
  const sandbox = sandboxFor(invocation.env);
  if (!existsSync(invocation.cwd)) {
    throw new RunnerError("the step's working folder does not exist", {
      where: invocation.cwd,
      hint: "fix the step's `cwd` in flow.toml",
    });
  }

  let phase = "start-up";
  const server = startAppServer(invocation, io.output, () => phase);
  const report = (text: string) => io.output("stderr", `code-mode: ${text}\n`);
  const client = new JsonRpcClient(server.stdout, server.stdin, {
    onRequest(method) {
      report(`declined the app-server's ${method} request (the code-mode runner answers none)`);
      throw new RpcError(`codex-flows' code-mode runner does not handle ${method}`, {
        method,
        failure: "error-response",
        rpcCode: METHOD_NOT_FOUND,
      });
    },
    onUnparseable(line, reason) {
      report(`ignored an app-server line that is ${reason}: ${line.slice(0, 200)}`);
    },
  });
  const stopped = abortion(io.signal);
  stopped.catch(() => {});
  const guard = async <T>(work: Promise<T>): Promise<T> => {
    try {
      return await Promise.race([work, server.ended, stopped]);
    } catch (error) {
      // stdout closing beats the process's own `close` event; its exit code and stderr say more.
      if (error instanceof RpcError && error.failure === "closed") {
        await Promise.race([server.ended, stopped, sleep(EXIT_REPORT_WAIT_MS, undefined, { ref: false })]);
      }
      throw error;
    }
  };

  try {
    phase = "initialize";
    await guard(
      client.request(METHODS.initialize, {
        clientInfo: { name: "codex-flows", title: "codex-flows", version },
      } satisfies InitializeRequest),
    );
    client.notify(METHODS.initialized);

    phase = "thread/start";
    const started = await guard(
      client.request<ThreadStartResult>(METHODS.threadStart, {
        cwd: invocation.cwd,
        approvalPolicy: "never",
        sandbox,
      } satisfies ThreadStartRequest),
    );
    const threadId = started?.thread?.id;
    if (typeof threadId !== "string") {
      throw new RunnerError(`the Codex app-server answered thread/start without a thread id`);
    }

    phase = "the Code Mode turn";
    const streamed = new TailBuffer(STREAM_KEEP);
    const turnDone = new Promise<Turn>((resolve) => {
      client.onNotification((method, params) => {
        const scoped = (params ?? {}) as DeltaParams & TurnCompletedParams;
        if (scoped.threadId !== threadId) return;
        if (method === NOTIFICATIONS.turnCompleted) resolve(scoped.turn ?? {});
        else if (typeof scoped.delta !== "string") return;
        else if (method === NOTIFICATIONS.agentDelta) {
          streamed.push(scoped.delta);
          io.output("agent", scoped.delta);
        } else if (method === NOTIFICATIONS.commandOutputDelta) {
          streamed.push(scoped.delta);
          io.output("stdout", scoped.delta);
        }
      });
    });
    // Some builds answer execute at once and others only when the turn ends; either way turn/completed decides.
    const executed = client.request<CodeModeExecuteResponse>(METHODS.execute, {
      threadId,
      source,
    } satisfies ExecuteRequest);
    executed.catch(() => {});
    const turn = await guard(Promise.race([turnDone, executed.then(() => turnDone)]));

    phase = "thread/read";
    let text = "";
    try {
      const read = await client.request<ThreadReadResult>(
        METHODS.threadRead,
        { threadId, includeTurns: true } satisfies ThreadReadRequest,
        { timeoutMs: THREAD_READ_TIMEOUT_MS, signal: io.signal },
      );
      text = agentMessageText(read, turn.id);
    } catch (error) {
      report(`thread/read failed (${(error as Error).message}); using the streamed text`);
    }
    if (findResultLine(text) === undefined) text = streamed.toString();
    if (findResultLine(text) === undefined) throw noResult(turn, text);
    return { stdout: text, stderr: server.stderr(), exitCode: 0, exitSignal: null };
  } catch (error) {
    throw explain(error, server);
  } finally {
    client.close("the step is over");
    await server.stop(io.signal.aborted);
  }
}

function noResult(turn: Turn, text: string): FlowError {
  const ended = turn.status && turn.status !== "completed" ? `ended as ${turn.status}` : "completed";
  const why = turn.error?.message ? ` (${turn.error.message})` : "";
  const tail = text.trimEnd().split("\n").slice(-10).join("\n");
  const said = tail ? `; its last output:\n${tail}` : " and wrote no output";
  return new RunnerError(`the Code Mode turn ${ended}${why} without a "${RESULT_PREFIX.trim()} {json}" line${said}`, {
    hint: 'end the step script with result({ status: "completed" }); the prelude defines result()',
  });
}
