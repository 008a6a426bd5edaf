// Live streams in process: a client that disconnects is forgotten at once, and open streams never hold a stop up.
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { resolveServeConfig } from "../src/backend/config.js";
import { startBackend } from "../src/backend/serve.js";
import { api, eventually, tempDir } from "./backend-helpers.js";
import { copyFixture } from "./helpers.js";
import { connectSse } from "./sse-helpers.js";

async function inProcessBackend() {
  // Concurrency 0: nothing runs, so the run stays queued and its stream stays open.
  const config = resolveServeConfig(
    { cwd: copyFixture("live-output"), dataDir: tempDir(), port: 0, concurrency: 0 },
    {},
  );
  const backend = await startBackend(config);
  return backend;
}

test("200 streams opened and dropped leave no watcher and no socket behind; SIGTERM-style stop ends the rest", async () => {
  const backend = await inProcessBackend();
  try {
    const { body } = await api(backend.url, "POST", "/events", { id: "queued-one", type: "live.tick", payload: {} });
    const runId = body.runIds[0] as string;
    for (let round = 0; round < 10; round++) {
      const streams = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          connectSse(backend.url, index % 2 === 0 ? `/runs/${runId}/output` : "/stream"),
        ),
      );
      expect(backend.service.feed.watchers).toBe(20);
      for (const stream of streams) stream.close();
      await eventually(() => backend.service.feed.watchers === 0, 5_000, "the dropped streams to be forgotten");
    }
    const connections = () =>
      new Promise<number>((resolve, reject) =>
        backend.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
      );
    await eventually(async () => (await connections()) === 0, 5_000, "the sockets to close");

    const open = await Promise.all([
      connectSse(backend.url, `/runs/${runId}/output`),
      connectSse(backend.url, "/stream"),
    ]);
    await open[0].waitFor((event) => event.event === "status", "the queued status");
    const started = Date.now();
    await backend.stop();
    expect(Date.now() - started).toBeLessThan(3_000);
    await Promise.all(open.map((stream) => stream.ended));
    expect(backend.service.feed.watchers).toBe(0);
    // The stream of a run that is still queued just ends (no `end` event: the run is not final).
    expect(open[0].events.some((event) => event.event === "end")).toBe(false);
  } finally {
    await backend.stop();
  }
  await sleep(0);
});
