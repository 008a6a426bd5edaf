// The reusable JSON-RPC client: correlation by id, notifications, peer requests, timeouts, aborts and close.
import { createInterface } from "node:readline";
import { PassThrough } from "node:stream";
import { describe, expect, test } from "vitest";
import { JsonRpcClient, type JsonRpcClientOptions } from "../runners/code-mode/json-rpc-client.js";
import { RpcError } from "../src/core/errors.js";

type Message = Record<string, unknown> & { id?: unknown; method?: string };

/** A client wired to a scripted peer: `received` is what the client wrote, `reply` writes lines to it. */
function connect(options: JsonRpcClientOptions = {}) {
  const toClient = new PassThrough();
  const fromClient = new PassThrough();
  const client = new JsonRpcClient(toClient, fromClient, options);
  const received: Message[] = [];
  let read = 0;
  let wake: (() => void) | undefined;
  createInterface({ input: fromClient }).on("line", (line) => {
    received.push(JSON.parse(line) as Message);
    wake?.();
  });
  /** The next message the client wrote that the test has not looked at yet. */
  const next = async (): Promise<Message> => {
    while (read >= received.length) await new Promise<void>((resolve) => (wake = resolve));
    return received[read++] as Message;
  };
  const reply = (value: unknown) => toClient.write(`${typeof value === "string" ? value : JSON.stringify(value)}\n`);
  return { client, received, next, reply, end: () => toClient.end() };
}

async function rejection(promise: Promise<unknown>): Promise<RpcError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RpcError) return error;
    throw error;
  }
  throw new Error("expected the request to fail");
}

describe("requests", () => {
  test("answers are matched to requests by id, in any order, with or without the jsonrpc field", async () => {
    const peer = connect();
    const first = peer.client.request("first", { n: 1 });
    const second = peer.client.request("second");
    const [a, b] = [await peer.next(), await peer.next()];
    expect(a).toEqual({ jsonrpc: "2.0", id: 1, method: "first", params: { n: 1 } });
    expect(b).toEqual({ jsonrpc: "2.0", id: 2, method: "second" });
    peer.reply({ id: 2, result: "two" });
    peer.reply({ jsonrpc: "2.0", id: 1, result: { one: true } });
    expect(await first).toEqual({ one: true });
    expect(await second).toBe("two");
  });

  test('a result beside "error": null is a success', async () => {
    const peer = connect();
    const pending = peer.client.request("thread/start");
    const { id } = await peer.next();
    peer.reply({ id, result: { thread: { id: "t1" } }, error: null });
    expect(await pending).toEqual({ thread: { id: "t1" } });
  });

  test("an error answer rejects with the peer's code, message and data", async () => {
    const peer = connect();
    const pending = peer.client.request("thread/codeMode/execute");
    const { id } = await peer.next();
    peer.reply({ id, error: { code: -32600, message: "Invalid request: unknown variant", data: { x: 1 } } });
    const error = await rejection(pending);
    expect(error).toMatchObject({
      method: "thread/codeMode/execute",
      failure: "error-response",
      rpcCode: -32600,
      data: { x: 1 },
      message: "error -32600: Invalid request: unknown variant",
    });
  });

  test("a request past its timeout fails, and its late answer is ignored", async () => {
    const peer = connect({ defaultTimeoutMs: 5_000 });
    const pending = peer.client.request("slow", undefined, { timeoutMs: 50 });
    const { id } = await peer.next();
    const error = await rejection(pending);
    expect(error).toMatchObject({ method: "slow", failure: "timeout", message: "no answer within 50 ms" });
    peer.reply({ id, result: "too late" });
    const after = peer.client.request("after");
    const next = await peer.next();
    peer.reply({ id: next.id, result: "fine" });
    expect(await after).toBe("fine");
  });

  test("an aborted request fails at once, before or after it was sent", async () => {
    const peer = connect();
    const controller = new AbortController();
    const pending = peer.client.request("waits", undefined, { signal: controller.signal });
    await peer.next();
    controller.abort();
    expect(await rejection(pending)).toMatchObject({ failure: "aborted" });
    const early = peer.client.request("never-sent", undefined, { signal: AbortSignal.abort() });
    expect(await rejection(early)).toMatchObject({ failure: "aborted", method: "never-sent" });
    expect(peer.received.map((message) => message.method)).toEqual(["waits"]);
  });

  test("the peer closing fails every waiting request, and later ones", async () => {
    const peer = connect();
    const pending = peer.client.request("initialize");
    await peer.next();
    peer.end();
    expect(await rejection(pending)).toMatchObject({ failure: "closed", message: "the connection closed" });
    expect(peer.client.closed).toBe(true);
    expect(await rejection(peer.client.request("later"))).toMatchObject({ failure: "closed", method: "later" });
  });

  test("close() fails waiting requests with the reason given", async () => {
    const peer = connect();
    const pending = peer.client.request("x");
    await peer.next();
    peer.client.close("the step is over");
    expect(await rejection(pending)).toMatchObject({ failure: "closed", message: "the step is over" });
  });
});

describe("what the peer sends unasked", () => {
  test("notifications reach every listener until it unsubscribes", async () => {
    const peer = connect();
    const seen: string[] = [];
    const stop = peer.client.onNotification((method, params) => seen.push(`${method} ${JSON.stringify(params)}`));
    peer.client.notify("initialized");
    expect(await peer.next()).toEqual({ jsonrpc: "2.0", method: "initialized" });
    peer.reply({ method: "turn/completed", params: { threadId: "t" } });
    const probe = peer.client.request("probe");
    const { id } = await peer.next();
    stop();
    peer.reply({ method: "after/unsubscribe" });
    peer.reply({ id, result: null });
    await probe;
    expect(seen).toEqual(['turn/completed {"threadId":"t"}']);
  });

  test("peer requests get 'method not found' without a handler", async () => {
    const peer = connect();
    peer.reply({ id: "srv-1", method: "item/commandExecution/requestApproval", params: {} });
    expect(await peer.next()).toEqual({
      jsonrpc: "2.0",
      id: "srv-1",
      error: { code: -32601, message: "this client handles no requests (got item/commandExecution/requestApproval)" },
    });
  });

  test("a handler's result, its RpcError code, or -32603 for anything else it throws", async () => {
    const peer = connect({
      onRequest(method) {
        if (method === "ok") return { fine: true };
        if (method === "refused") throw new RpcError("no", { method, failure: "error-response", rpcCode: -32000 });
        throw new Error("handler broke");
      },
    });
    peer.reply({ id: 1, method: "ok" });
    expect(await peer.next()).toEqual({ jsonrpc: "2.0", id: 1, result: { fine: true } });
    peer.reply({ id: 2, method: "refused" });
    expect(await peer.next()).toMatchObject({ id: 2, error: { code: -32000, message: "no" } });
    peer.reply({ id: 3, method: "broken" });
    expect(await peer.next()).toMatchObject({ id: 3, error: { code: -32603, message: "handler broke" } });
  });

  test("lines that are not JSON-RPC are reported and the connection carries on", async () => {
    const reports: string[] = [];
    const peer = connect({ onUnparseable: (line, reason) => reports.push(`${reason.split(" (")[0]} | ${line}`) });
    const pending = peer.client.request("still-works");
    const { id } = await peer.next();
    peer.reply("not json at all");
    peer.reply("[1,2]");
    peer.reply({ hello: "world" });
    peer.reply("");
    peer.reply({ id, result: 42 });
    expect(await pending).toBe(42);
    expect(reports).toEqual([
      "not JSON | not json at all",
      "not a JSON object | [1,2]",
      'not a JSON-RPC request, response or notification | {"hello":"world"}',
    ]);
  });
});
