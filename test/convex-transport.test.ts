// The worker's Convex transport over the official client against a loopback stand-in for a deployment's HTTP API: calls side by side, each with a timeout.
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, expect, test } from "vitest";
import { convexCaller } from "../src/convex/convex-caller.js";
import { ConvexLeaseProtocol } from "../src/convex/convex-lease-protocol.js";
import { BackendError } from "../src/core/errors.js";
import { CallRefusedError, LeaseLostError } from "../src/wire/protocol.js";

/** Heartbeats of this attempt get no answer until the test releases them. */
const STALLED = 7;

interface Deployment {
  url: string;
  /** Calls received, by function name (`flows:heartbeat`), in order. */
  seen: string[];
  /** Stalled requests still held open. */
  held: ServerResponse[];
  close(): Promise<void>;
}

const open: Deployment[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((deployment) => deployment.close()));
});

/**
 * Enough of Convex's HTTP API for the worker's wrappers: POST /api/mutation and /api/query with
 * `{path, format: "convex_encoded_json", args: [args]}`, answered `{status: "success", value}`
 * (or `{status: "error", errorMessage, errorData}` with status 560, as a deployment does).
 */
async function deployment(): Promise<Deployment> {
  const seen: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      const { path, args } = JSON.parse(body) as { path: string; args: [Record<string, unknown>] };
      seen.push(path);
      const [given] = args;
      const answer = (status: number, value: unknown) => {
        response.writeHead(status, { "content-type": "application/json" });
        response.end(JSON.stringify(value));
      };
      if (request.url !== "/api/mutation" && request.url !== "/api/query") return answer(404, { error: "no route" });
      if (given.secret !== "s") {
        return answer(560, {
          status: "error",
          errorMessage: "unauthorized",
          errorData: { code: "unauthorized", message: "a valid service secret is required" },
        });
      }
      if (path === "flows:heartbeat" && given.attemptId === STALLED) {
        held.push(response);
        return;
      }
      if (path === "flows:heartbeat") {
        return answer(200, {
          status: "success",
          value: { lost: given.leaseToken !== "t", leaseExpiresAt: Date.now() + 30_000, cancelRequested: false },
          logLines: [],
        });
      }
      if (path === "flows:appendOutput") return answer(200, { status: "success", value: { lost: false, stored: 1 } });
      if (path === "flows:nextReadyAt") return answer(200, { status: "success", value: null });
      return answer(200, { status: "success", value: null });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const made: Deployment = {
    url: `http://127.0.0.1:${port}`,
    seen,
    held,
    close: async () => {
      for (const response of held) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  open.push(made);
  return made;
}

async function transport(url: string, timeoutMs: number): Promise<ConvexLeaseProtocol> {
  return new ConvexLeaseProtocol({ caller: await convexCaller(url, { timeoutMs }), secret: "s" });
}

test("a stalled heartbeat does not hold back the other slots' calls", async () => {
  const app = await deployment();
  const protocol = await transport(app.url, 20_000);
  const stalled = protocol.heartbeat({ attemptId: STALLED, leaseToken: "t" });
  let stalledSettled = false;
  stalled.then(
    () => (stalledSettled = true),
    () => (stalledSettled = true),
  );
  while (app.held.length === 0) await sleep(5);
  // With one queue for all mutations (the client's default) these waited behind the stalled one.
  const others = Promise.all([
    protocol.heartbeat({ attemptId: 8, leaseToken: "t" }),
    protocol.appendOutput({ attemptId: 9, leaseToken: "t" }, [{ index: 0, stream: "stdout", text: "x", at: 1 }]),
    protocol.claim({ workerId: "w", capabilities: { runners: ["bun"], flows: "*" } }),
  ]);
  const first = await Promise.race([others, sleep(5_000).then(() => "held back" as const)]);
  expect(first).not.toBe("held back");
  expect((first as [{ cancelRequested: boolean }, undefined, null])[0]).toMatchObject({ cancelRequested: false });
  expect(stalledSettled).toBe(false);
  expect(app.seen).toEqual(expect.arrayContaining(["flows:heartbeat", "flows:appendOutput", "flows:claim"]));
});

test("a call with no answer times out into a link error (retried), not a lost lease or a refusal", async () => {
  const app = await deployment();
  const protocol = await transport(app.url, 300);
  const stalled = protocol.heartbeat({ attemptId: STALLED, leaseToken: "t" });
  await expect(stalled).rejects.toBeInstanceOf(BackendError);
  await expect(stalled).rejects.not.toBeInstanceOf(LeaseLostError);
  await expect(stalled).rejects.not.toBeInstanceOf(CallRefusedError);
  await expect(stalled).rejects.toThrow(
    `the Convex deployment at ${app.url} did not answer flows:heartbeat within 300 ms`,
  );
  // The link is fine for everything else, and a refused token is still a lost lease.
  expect(await protocol.heartbeat({ attemptId: 8, leaseToken: "t" })).toMatchObject({ cancelRequested: false });
  await expect(protocol.heartbeat({ attemptId: 8, leaseToken: "other" })).rejects.toBeInstanceOf(LeaseLostError);
});

test("a deployment that is not there is a link error naming the URL; a wrong secret says which setting to fix", async () => {
  const app = await deployment();
  const url = app.url;
  const wrongSecret = new ConvexLeaseProtocol({ caller: await convexCaller(url), secret: "wrong" });
  await expect(wrongSecret.heartbeat({ attemptId: 8, leaseToken: "t" })).rejects.toThrow(
    /its service secret differs from --convex-secret/,
  );
  await app.close();
  open.splice(open.indexOf(app), 1);
  const protocol = await transport(url, 2_000);
  const gone = protocol.heartbeat({ attemptId: 8, leaseToken: "t" });
  await expect(gone).rejects.toBeInstanceOf(BackendError);
  await expect(gone).rejects.toThrow(`no Convex deployment is answering at ${url} (ECONNREFUSED)`);
});
