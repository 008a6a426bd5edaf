// A request that meets a keep-alive connection the server just closed is sent once more, when the
// caller says it is safe to repeat; otherwise the failure is reported as before.
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, test } from "vitest";
import { BackendClient } from "../src/client/backend-client.js";
import { BackendError } from "../src/core/errors.js";

let server: Server | undefined;

afterEach(async () => {
  const running = server;
  server = undefined;
  if (!running) return;
  running.closeAllConnections();
  await new Promise((resolve) => running.close(resolve));
});

/**
 * Answers every request, except that after `cutNext()` the next one arriving on a connection used
 * before is cut without an answer, as when a server closes an idle keep-alive connection just as the
 * client reuses it.
 */
async function cuttingServer(): Promise<{ url: string; seen: () => number; cutNext: () => void }> {
  const used = new WeakSet<Socket>();
  let seen = 0;
  let cut = false;
  server = createServer((request, response) => {
    seen += 1;
    if (cut && used.has(request.socket)) {
      cut = false;
      request.socket.destroy();
      return;
    }
    used.add(request.socket);
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen: () => seen, cutNext: () => (cut = true) };
}

test("a call safe to repeat is sent once more when its connection closes unanswered", async () => {
  const { url, seen, cutNext } = await cuttingServer();
  const client = new BackendClient({ url });
  expect((await client.send("POST", "/workers/claim", {}, { retryOnReset: true })).body).toEqual({ ok: true });
  // Once the first answer is read, its connection is idle and the next request goes out on it.
  await sleep(50);
  cutNext();
  expect((await client.send("POST", "/workers/claim", {}, { retryOnReset: true })).body).toEqual({ ok: true });
  expect(seen()).toBe(3);
  // Without the option the cut is reported: the caller decides what a lost answer means.
  await sleep(50);
  cutNext();
  const failure = await client.send("POST", "/events", {}).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(BackendError);
  expect((failure as Error).message).toMatch(/no codex-flows backend is answering .*(UND_ERR_SOCKET|ECONNRESET)/);
  expect(seen()).toBe(4);
});
