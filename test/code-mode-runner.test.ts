// The code-mode runner through the engine's own path (runStep), against the scripted stand-in app-server.
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { version } from "../package.json";
import { APP_SERVER_ARGS } from "../runners/code-mode/app-server-command.js";
import { prelude } from "../runners/code-mode/prelude.js";
import { normalizeEvent } from "../src/engine/event.js";
import { buildContext, runStep } from "../src/engine/run-step.js";
import type { OutputStream } from "../src/runner/runner.js";
import { cleanEnv, demoFlow, demoStep, fakeServer, methodsReceived, PROJECT, readLog } from "./code-mode-helpers.js";
import { isAlive } from "./process-helpers.js";

const flow = demoFlow();
const demoEvent = normalizeEvent({ id: "evt-1", type: "code-mode.demo", payload: { word: "hello" } });

async function run(stepName: string, env: NodeJS.ProcessEnv, event = demoEvent) {
  const chunks: { stream: OutputStream; text: string }[] = [];
  const step = demoStep(flow, stepName);
  const result = await runStep(flow, step, event, { env, output: (stream, text) => chunks.push({ stream, text }) });
  const streamed = (stream: OutputStream) =>
    chunks
      .filter((chunk) => chunk.stream === stream)
      .map((chunk) => chunk.text)
      .join("");
  return { result, streamed };
}

function serverPids(log: string): number[] {
  return readLog(log).flatMap((entry) => (entry.pid !== undefined ? [entry.pid] : []));
}

describe("a turn that reports a result", () => {
  test("completes with the script's FLOW_RESULT, streaming output and speaking the protocol in order", async () => {
    const server = fakeServer("code-mode", { CODE_MODE_FAKE_PROBE: "from-the-step-env" });
    const { result, streamed } = await run("succeed", server.env);

    expect(result.status).toBe("completed");
    expect(result.result).toEqual({
      status: "completed",
      message: "the word was hello",
      artifacts: { event: "evt-1" },
    });
    expect(streamed("agent")).toContain("hello from code-mode-demo/succeed (config label demo)\n");
    expect(streamed("agent")).not.toContain("never reached");
    expect(streamed("stdout")).toMatch(/fake app-server: running \d+ characters of Code Mode source/);

    const log = readLog(server.log);
    const start = log.find((entry) => entry.event === "start");
    expect(start).toMatchObject({ argv: [...APP_SERVER_ARGS], cwd: flow.root, probe: "from-the-step-env" });
    expect(methodsReceived(server.log)).toEqual([
      "initialize",
      "initialized",
      "thread/start",
      "thread/codeMode/execute",
      "thread/read",
    ]);
    const sent = Object.fromEntries(
      log.flatMap((entry) => (entry.message?.method ? [[entry.message.method, entry.message.params]] : [])),
    );
    expect(sent.initialize).toEqual({ clientInfo: { name: "codex-flows", title: "codex-flows", version } });
    expect(sent["thread/start"]).toEqual({ cwd: flow.root, approvalPolicy: "never", sandbox: "workspace-write" });
    expect(sent["thread/read"]).toEqual({ threadId: "thread-0001", includeTurns: true });

    const context = buildContext(flow, demoStep(flow, "succeed"), demoEvent);
    const script = readFileSync(demoStep(flow, "succeed").script, "utf8");
    expect(sent["thread/codeMode/execute"]).toEqual({ threadId: "thread-0001", source: prelude(context) + script });
    expect(prelude(context)).toContain(`const flow = ${JSON.stringify(context.flow)};`);

    for (const pid of serverPids(server.log)) expect(isAlive(pid)).toBe(false);
  });

  test("a script that calls result({status: 'blocked'}) makes the step blocked", async () => {
    const server = fakeServer();
    const { result } = await run("blocked", server.env);
    expect(result.status).toBe("blocked");
    expect(result.result.message).toBe("rebase conflict in codex-rs/core/src/lib.rs");
  });

  test("a server that answers execute only after the turn still works", async () => {
    const { result } = await run("succeed", fakeServer("execute-answers-late").env);
    expect(result.result).toMatchObject({ status: "completed", message: "the word was hello" });
  });

  test("when thread/read fails, the FLOW_RESULT comes from the streamed text", async () => {
    const { result, streamed } = await run("succeed", fakeServer("read-fails").env);
    expect(result.result).toMatchObject({ status: "completed", message: "the word was hello" });
    expect(streamed("stderr")).toContain("thread/read failed");
    expect(streamed("stderr")).toContain("using the streamed text");
  });

  test("the older CODEX_FLOWS_ENABLE_CODE_MODE switch opens the gate too", async () => {
    const server = fakeServer("code-mode", { CODEX_FLOWS_MODE: "", CODEX_FLOWS_ENABLE_CODE_MODE: "yes" });
    const { result } = await run("succeed", server.env);
    expect(result.status).toBe("completed");
  });
});

describe("turns that go wrong", () => {
  test("a turn with no FLOW_RESULT fails in plain words, with the script's last output", async () => {
    const { result } = await run("no-result", fakeServer().env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain('the Code Mode turn completed without a "FLOW_RESULT {json}" line');
    expect(result.result.message).toContain("did some work but never reported a result");
    expect(result.result.message).toContain("end the step script with result(");
  });

  test("a turn that fails says how it ended", async () => {
    const { result } = await run("no-result", fakeServer("turn-failed").env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain("the Code Mode turn ended as failed (model stream disconnected)");
  });

  test("a server that dies mid-turn: failed, with the exit code and the tail of its stderr", async () => {
    const server = fakeServer("die-mid-turn");
    const { result, streamed } = await run("succeed", server.env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain("exited with code 3 during the Code Mode turn");
    expect(result.result.message).toContain("panic: the Code Mode host went away (simulated)");
    expect(streamed("agent")).toContain("half-way there");
  });

  test("a server that exits at start-up: failed, naming the phase and quoting its stderr", async () => {
    const { result } = await run("succeed", fakeServer("exit-at-start").env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain("exited with code 2 during initialize");
    expect(result.result.message).toContain("unexpected argument '--enable' found");
  });

  test("a server that never answers: timed out, and its whole process group is gone afterwards", async () => {
    const server = fakeServer("hang");
    const { result } = await run("slow", server.env);
    expect(result.result).toEqual({
      status: "failed",
      message: expect.stringMatching(/^timed out after 1500 ms \(raise/),
    });
    const pids = serverPids(server.log);
    expect(pids).toHaveLength(2); // the server and the helper it started
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  test("cancelling a waiting step kills the app-server's process group and reports canceled", async () => {
    const server = fakeServer("hang");
    const controller = new AbortController();
    const step = demoStep(flow, "succeed");
    const running = runStep(flow, step, demoEvent, { env: server.env, signal: controller.signal });
    // Cancel once the stand-in is up and its helper started, so the kill has a whole group to stop.
    while (!readLog(server.log).some((entry) => entry.event === "helper")) await sleep(20);
    controller.abort(new Error("cancelled by the test"));
    const result = await running;
    expect(result.result).toEqual({ status: "failed", message: "canceled" });
    for (const pid of serverPids(server.log)) expect(isAlive(pid)).toBe(false);
  });

  test.each([
    ["no-code-mode", -32600],
    ["method-not-found", -32601],
  ])("a server without Code Mode (%s) is named as such, with how to point at one", async (mode, code) => {
    const { result } = await run("succeed", fakeServer(mode).env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain("this Codex build has no Code Mode");
    expect(result.result.message).toContain(`does not know thread/codeMode/execute (it answered error ${code}:`);
    expect(result.result.message).toContain("CODEX_APP_SERVER_CODEX_COMMAND=/path/to/codex");
    expect(result.result.message).toContain("CODEX_APP_SERVER_CODEX_PACKAGE");
  });
});

describe("the protocol's rough edges", () => {
  test("requests from the server are answered with a JSON-RPC error and the turn goes on", async () => {
    const server = fakeServer("server-requests");
    const { result, streamed } = await run("succeed", server.env);
    expect(result.status).toBe("completed");
    const answers = readLog(server.log).find((entry) => entry.event === "answers")?.answers ?? [];
    expect(answers.map((answer) => [answer.id, answer.error?.code])).toEqual([
      ["srv-1", -32601],
      [7, -32601],
    ]);
    expect(streamed("stderr")).toContain("declined the app-server's item/commandExecution/requestApproval request");
  });

  test("garbage lines, unknown notifications and other threads' deltas are reported or ignored, not fatal", async () => {
    const { result, streamed } = await run("succeed", fakeServer("garbage").env);
    expect(result.result).toMatchObject({ status: "completed", message: "the word was hello" });
    const stderr = streamed("stderr");
    expect(stderr).toContain("ignored an app-server line that is not JSON");
    expect(stderr).toContain("this line is not JSON");
    expect(stderr).toContain("{broken");
    expect(stderr).toContain("is not a JSON object: [1,2,3]");
    expect(stderr).toContain('not a JSON-RPC request, response or notification: {"foo":"bar"}');
    expect(streamed("agent")).not.toContain("not ours");
  });
});

describe("refusals before any app-server starts", () => {
  test("with the gate closed the step fails naming the variable, and no server is started", async () => {
    const server = fakeServer();
    const env = { ...server.env, CODEX_FLOWS_MODE: "" };
    const { result } = await run("succeed", env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain("set CODEX_FLOWS_MODE=code-mode");
    expect(result.result.message).toContain("CODEX_FLOWS_ENABLE_CODE_MODE=1");
    expect(readLog(server.log)).toEqual([]);
  });

  test("a missing command says which variable chose it and which variables choose it", async () => {
    const env = cleanEnv({ CODEX_FLOWS_MODE: "code-mode", CODEX_APP_SERVER_CODEX_COMMAND: `${PROJECT}/no-such-codex` });
    const { result } = await run("succeed", env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain(`the Codex app-server command "${PROJECT}/no-such-codex" was not found`);
    expect(result.result.message).toContain(`chosen because CODEX_APP_SERVER_CODEX_COMMAND=${PROJECT}/no-such-codex`);
    expect(result.result.message).toContain("CODEX_APP_SERVER_CODEX_PACKAGE=<npm package>");
  });

  test("with nothing set and no codex on PATH, the default `codex` is named as the choice", async () => {
    const env = cleanEnv({ CODEX_FLOWS_ENABLE_CODE_MODE: "1", PATH: PROJECT });
    const { result } = await run("succeed", env);
    expect(result.status).toBe("failed");
    expect(result.result.message).toContain('the Codex app-server command "codex" was not found');
    expect(result.result.message).toContain("none of CODEX_APP_SERVER_CODEX_COMMAND, CODEX_APP_SERVER_CODEX_PACKAGE");
  });

  test("a bad sandbox setting is refused with the accepted values", async () => {
    const server = fakeServer("code-mode", { CODEX_FLOWS_CODE_MODE_SANDBOX: "yolo" });
    const { result } = await run("succeed", server.env);
    expect(result.result.message).toContain('CODEX_FLOWS_CODE_MODE_SANDBOX is "yolo"');
    expect(result.result.message).toContain("read-only, workspace-write, danger-full-access");
    expect(readLog(server.log)).toEqual([]);
  });

  test("the sandbox setting reaches thread/start", async () => {
    const server = fakeServer("code-mode", { CODEX_FLOWS_CODE_MODE_SANDBOX: "danger-full-access" });
    await run("succeed", server.env);
    const start = readLog(server.log).find((entry) => entry.message?.method === "thread/start");
    expect(start?.message?.params?.sandbox).toBe("danger-full-access");
  });
});
