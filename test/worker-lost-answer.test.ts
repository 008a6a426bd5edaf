// A completion's answer lost on the way (a proxy drops it after the backend answered): the worker's resend gets back the run that answer claimed.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, onTestFinished, test } from "vitest";
import { api, finishedRuns, type Run, startBackend } from "./backend-helpers.js";
import { copyFixture } from "./helpers.js";
import { startWorker } from "./worker-helpers.js";

/** Far longer than the test waits: a run left claimed by nobody would only come back after it. */
const LEASE_MS = 120_000;

const FORWARDED = ["content-type", "accept", "x-flow-signature-256", "x-flow-timestamp", "x-flow-nonce"];

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      (entry): entry is [string, string] => FORWARDED.includes(entry[0]) && typeof entry[1] === "string",
    ),
  );
}

/**
 * A loopback proxy in front of the backend that forwards everything, but hangs up on the first
 * `complete` carrying `claimNext` after the backend has answered it: the answer, and the claim in
 * it, are lost on the way, as on a flaky link.
 */
async function lossyProxy(backendUrl: string) {
  const state: { dropped?: { next?: { runId: string } } } = {};
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    try {
      const answer = await fetch(`${backendUrl}${request.url}`, {
        method: request.method,
        headers: forwardedHeaders(request.headers),
        body: request.method === "POST" ? body : undefined,
      });
      const text = await answer.text();
      const completing = /^\/attempts\/\d+\/complete$/.test(request.url ?? "") && body.includes("claimNext");
      if (completing && !state.dropped) {
        state.dropped = JSON.parse(text);
        request.socket.destroy();
        return;
      }
      response.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
      response.end(text);
    } catch {
      request.socket.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, state };
}

test("a lost answer to complete with claimNext: the resend gets the claimed run back and it runs at once, not after its lease", async () => {
  const backend = await startBackend({
    project: copyFixture("worker-project"),
    args: ["--concurrency", "0", "--lease-ms", String(LEASE_MS)],
  });
  await api(backend.url, "POST", "/events", { id: "first", type: "demo.quick" });
  await api(backend.url, "POST", "/events", { id: "second", type: "demo.quick" });
  const proxy = await lossyProxy(backend.url);
  // One slot: the first run's completion asks for the next run (claimNext), and that answer is lost.
  const worker = await startWorker({
    url: proxy.url,
    project: backend.project,
    id: "w-lossy",
    args: ["--concurrency", "1"],
  });
  const [first] = await finishedRuns(backend.url, "first", 1);
  const [second] = await finishedRuns(backend.url, "second", 1);
  expect(proxy.state.dropped?.next?.runId).toBe(second?.id);
  expect([first?.status, second?.status]).toEqual(["completed", "completed"]);
  const run = (await api<{ run: Run }>(backend.url, "GET", `/runs/${second?.id}`)).body.run;
  // The claim the lost answer carried, run by the same worker: no second attempt, no lease expiry.
  expect(run.attempts).toHaveLength(1);
  expect(run.attempts[0]).toMatchObject({ workerId: "w-lossy", status: "completed" });
  // The hang-up cut the connection with no answer on it, so the worker sent the completion again at
  // once on a new one (retryOnReset): the link never counted as down.
  expect(worker.stderr()).not.toMatch(/not answering/);
}, 60_000);
