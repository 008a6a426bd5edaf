// Live output over HTTP: GET /runs/<id>/output as Server-Sent Events and JSON pages, and the GET /stream state feed.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { api, type Backend, eventually, startBackend, tempDir } from "./backend-helpers.js";
import { copyFixture } from "./helpers.js";
import { connectSse, type SseEvent } from "./sse-helpers.js";
import { startWorker } from "./worker-helpers.js";

const liveBackend = (args: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  startBackend({ project: copyFixture("live-output"), args, env });

async function post(
  backend: Backend,
  type: string,
  payload: Record<string, unknown>,
  id = `${type}-${Date.now()}-${Math.random()}`,
) {
  const { status, body } = await api(backend.url, "POST", "/events", { id, type, payload });
  expect(status).toBe(202);
  return { eventId: body.eventId as string, runId: body.runIds[0] as string };
}

const chunksOf = (events: SseEvent[]) => events.filter((event) => event.event === "chunk");
const textOf = (events: SseEvent[]) =>
  chunksOf(events)
    .map((event) => event.data.text)
    .join("");

describe("GET /runs/<id>/output as Server-Sent Events", () => {
  test("a slow step's first chunk arrives while it runs; the stream ends with the final status and result", async () => {
    const backend = await liveBackend();
    const gate = join(tempDir(), "gate");
    const { runId } = await post(backend, "live.tick", { lines: 2, gate });
    const stream = await connectSse(backend.url, `/runs/${runId}/output`);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toMatch(/^text\/event-stream/);
    const first = await stream.waitFor((event) => event.event === "chunk", "the first chunk");
    // The step is still waiting for its gate: the chunk came while it ran.
    expect(existsSync(gate)).toBe(false);
    expect((await api(backend.url, "GET", `/runs/${runId}`)).body.run.status).toBe("running");
    expect(first.id).toBe("1:0");
    expect(first.data).toMatchObject({ attempt: 1, index: 0, stream: "stdout" });
    expect(first.data.text).toMatch(/^attempt 1 line 0\n/);
    expect(Date.parse(first.data.at)).toBeGreaterThan(0);
    expect(stream.events.find((event) => event.event === "status")?.data).toEqual({ status: "running", attempt: 1 });
    writeFileSync(gate, "");
    const end = await stream.waitFor((event) => event.event === "end", "the end event");
    await stream.ended;
    expect(end.id).toBeUndefined();
    expect(end.data).toEqual({
      status: "completed",
      result: { status: "completed", message: "printed 2 lines" },
      error: null,
    });
    expect(stream.events.at(-1)).toBe(end);
    const chunks = chunksOf(stream.events);
    expect(chunks.map((event) => event.id)).toEqual(chunks.map((_, index) => `1:${index}`));
    expect(textOf(stream.events)).toContain("attempt 1 line 1\n");
    expect(textOf(stream.events)).toContain("FLOW_RESULT");

    // A run that is final already streams its stored output and ends at once.
    const again = await connectSse(backend.url, `/runs/${runId}/output`);
    await again.ended;
    expect(chunksOf(again.events).map((event) => event.id)).toEqual(chunks.map((event) => event.id));
    expect(again.events.at(-1)?.event).toBe("end");
    expect(again.events.some((event) => event.event === "status")).toBe(false);
  });

  test("a reconnect with Last-Event-ID (or ?after=) resumes strictly after that chunk: no gap, no repeat", async () => {
    const backend = await liveBackend();
    const { runId } = await post(backend, "live.tick", { lines: 24, ms: 40 });
    const first = await connectSse(backend.url, `/runs/${runId}/output`);
    const fifth = await first.waitFor((event) => event.event === "chunk" && event.id === "1:4", "chunk 1:4");
    first.close();
    const seen = chunksOf(first.events).slice(0, 5);
    expect(seen.at(-1)).toBe(fifth);
    const resumed = await connectSse(backend.url, `/runs/${runId}/output`, {
      headers: { "last-event-id": fifth.id as string },
    });
    // Mid-stream: the step is still printing when the reconnect arrives.
    await resumed.waitFor((event) => event.event === "chunk", "the first chunk after reconnecting");
    expect((await api(backend.url, "GET", `/runs/${runId}`)).body.run.status).toBe("running");
    await resumed.waitFor((event) => event.event === "end", "the end event");
    const ids = [...seen, ...chunksOf(resumed.events)].map((event) => event.id);
    const stored = await api(backend.url, "GET", `/runs/${runId}/output`);
    expect(stored.body.next).toBeNull();
    expect(ids).toEqual(
      stored.body.chunks.map((chunk: { attempt: number; index: number }) => `${chunk.attempt}:${chunk.index}`),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(24);

    // ?after= for a first connect; the header wins when both are given (EventSource keeps its URL).
    const byQuery = await connectSse(backend.url, `/runs/${runId}/output?after=1:20`);
    await byQuery.ended;
    expect(chunksOf(byQuery.events)[0]?.id).toBe("1:21");
    const both = await connectSse(backend.url, `/runs/${runId}/output?after=1:2`, {
      headers: { "last-event-id": "1:22" },
    });
    await both.ended;
    expect(chunksOf(both.events)[0]?.id).toBe("1:23");

    const bad = await connectSse(backend.url, `/runs/${runId}/output`, { headers: { "last-event-id": "seven" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/Last-Event-ID must be <attempt>:<index>/);
  });

  test("a retry shows as a status event, and both attempts' output comes in order", async () => {
    const backend = await liveBackend(["--retry-backoff-ms", "300"]);
    const { runId } = await post(backend, "live.retry", { lines: 2, failFirst: true });
    const stream = await connectSse(backend.url, `/runs/${runId}/output`);
    await stream.waitFor((event) => event.event === "end", "the end event");
    const statuses = stream.events.filter((event) => event.event === "status").map((event) => event.data);
    expect(statuses).toContainEqual({ status: "running", attempt: 2 });
    // Attempt 2 is announced after attempt 1's output and before any of its own.
    const twoStarts = stream.events.findIndex((event) => event.event === "status" && event.data.attempt === 2);
    const twoFirst = stream.events.findIndex((event) => event.id === "2:0");
    expect(twoStarts).toBeGreaterThan(stream.events.findIndex((event) => event.id === "1:0"));
    expect(twoStarts).toBeLessThan(twoFirst);
    expect(textOf(stream.events)).toContain("attempt 1 fails on purpose");
    expect(textOf(stream.events)).toContain("attempt 2 line 1");
    expect(stream.events.at(-1)?.data.status).toBe("completed");
  });

  test("a failed run's end event says failed, with its error", async () => {
    const backend = await liveBackend();
    const { runId } = await post(backend, "live.tick", { lines: 1, fail: true });
    const stream = await connectSse(backend.url, `/runs/${runId}/output`);
    await stream.ended;
    const end = stream.events.at(-1);
    expect(end?.event).toBe("end");
    expect(end?.data.status).toBe("failed");
    expect(end?.data.result?.status).toBe("failed");
    expect(typeof end?.data.error).toBe("string");
  });

  test("an unknown run is a 404 JSON answer, as stream or as page", async () => {
    const backend = await liveBackend();
    const stream = await connectSse(backend.url, "/runs/run_nope/output");
    expect(stream.status).toBe(404);
    expect(stream.body).toMatchObject({ error: 'no run with id "run_nope"', runId: "run_nope" });
    const page = await api(backend.url, "GET", "/runs/run_nope/output");
    expect(page.status).toBe(404);
  });
});

describe("GET /runs/<id>/output as JSON", () => {
  test("pages with ?after= and ?limit= until next is null", async () => {
    const backend = await liveBackend();
    const { runId } = await post(backend, "live.tick", { lines: 7, ms: 15 });
    await eventually(async () => (await api(backend.url, "GET", `/runs/${runId}`)).body.run.status === "completed");
    const whole = await api(backend.url, "GET", `/runs/${runId}/output`);
    expect(whole.status).toBe(200);
    expect(whole.body.status).toBe("completed");
    expect(whole.body.next).toBeNull();
    expect(whole.body.chunks[0]).toMatchObject({ attempt: 1, index: 0, stream: "stdout" });
    expect(whole.body.chunks.length).toBeGreaterThan(3);
    const paged: unknown[] = [];
    let after: string | null = "";
    let pages = 0;
    while (after !== null) {
      const page: { body: { chunks: unknown[]; next: string | null } } = await api(
        backend.url,
        "GET",
        `/runs/${runId}/output?limit=3${after ? `&after=${after}` : ""}`,
      );
      expect(page.body.chunks.length).toBeLessThanOrEqual(3);
      paged.push(...page.body.chunks);
      after = page.body.next;
      pages += 1;
    }
    expect(paged).toEqual(whole.body.chunks);
    expect(pages).toBe(Math.ceil(whole.body.chunks.length / 3));
    for (const [query, field] of [
      ["limit=10001", "limit"],
      ["limit=0", "limit"],
      ["after=1", "after"],
    ]) {
      const refused = await api(backend.url, "GET", `/runs/${runId}/output?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.body.field).toBe(field);
    }
    expect((await api(backend.url, "GET", `/runs/${runId}/output?limit=10000`)).status).toBe(200);
  });
});

describe("GET /stream", () => {
  test("announces each accepted event and each run created or changing status, without history", async () => {
    const backend = await liveBackend();
    const before = await post(backend, "live.tick", { lines: 1 }, "before-the-stream");
    await eventually(
      async () => (await api(backend.url, "GET", `/runs/${before.runId}`)).body.run.status === "completed",
    );
    const feed = await connectSse(backend.url, "/stream");
    const { eventId, runId } = await post(backend, "live.chain", { lines: 1 }, "chain-root");
    const done = await feed.waitFor(
      (event) => event.event === "run" && event.data.step === "finish" && event.data.status === "completed",
      "the chained run to complete",
    );
    expect(feed.events.some((event) => JSON.stringify(event.data).includes("before-the-stream"))).toBe(false);
    const accepted = feed.events.find((event) => event.event === "event" && event.data.id === eventId);
    expect(accepted?.data).toEqual({
      id: "chain-root",
      type: "live.chain",
      source: null,
      receivedAt: expect.any(String),
    });
    const root = feed.events
      .filter((event) => event.event === "run" && event.data.id === runId)
      .map((event) => event.data);
    expect(root.map((run) => run.status)).toEqual(["queued", "running", "completed"]);
    expect(root[1]).toEqual({
      id: runId,
      eventId,
      flow: "live",
      step: "start",
      status: "running",
      attempt: 1,
      workerId: expect.stringMatching(/^local:/),
    });
    expect(root[0]).toMatchObject({ attempt: 0, workerId: null });
    // The step's next event is announced too, before its run.
    const chained = feed.events.findIndex((event) => event.event === "event" && event.data.type === "live.chain-next");
    expect(chained).toBeGreaterThan(0);
    expect(chained).toBeLessThan(feed.events.indexOf(done));
    expect(done.data.eventId).toBe(feed.events[chained]?.data.id);
  });
});

describe("authentication, remote workers and shutdown", () => {
  test("with a secret set, both streams refuse unsigned requests (401) and serve signed ones", async () => {
    const secret = "live-secret";
    const backend = await liveBackend([], { CODEX_FLOW_BACKEND_SECRET: secret });
    const { status, body } = await api(
      backend.url,
      "POST",
      "/events",
      { id: "signed-tick", type: "live.tick", payload: { lines: 1 } },
      { secret },
    );
    expect(status).toBe(202);
    const runId = body.runIds[0];
    for (const path of [`/runs/${runId}/output`, "/stream"]) {
      const refused = await connectSse(backend.url, path);
      expect(refused.status).toBe(401);
      expect(typeof refused.body.error).toBe("string");
      expect((await api(backend.url, "GET", path)).status).toBe(401);
    }
    const stream = await connectSse(backend.url, `/runs/${runId}/output`, { secret });
    expect(stream.status).toBe(200);
    await stream.waitFor((event) => event.event === "end", "the end event");
    const feed = await connectSse(backend.url, "/stream", { secret });
    expect(feed.status).toBe(200);
    feed.close();
  });

  test("a remote worker's output streams live too; an idle stream gets a ping every 15 s", async () => {
    const backend = await liveBackend(["--concurrency", "0"]);
    const gate = join(tempDir(), "gate");
    const { runId } = await post(backend, "live.tick", { lines: 2, gate });
    const stream = await connectSse(backend.url, `/runs/${runId}/output`);
    // Nobody runs it yet: the stream stays open and quiet but for its pings.
    await stream.waitFor((event) => event.event === "status", "the queued status");
    expect(stream.events[0]?.data).toEqual({ status: "queued", attempt: 0 });
    await eventually(() => stream.comments.includes("ping"), 17_000, "a ping");
    await startWorker({ url: backend.url, project: backend.project, id: "remote-1" });
    const first = await stream.waitFor((event) => event.event === "chunk", "the remote worker's first chunk");
    expect(first.data.text).toMatch(/^attempt 1 line 0\n/);
    expect(existsSync(gate)).toBe(false);
    writeFileSync(gate, "");
    const end = await stream.waitFor((event) => event.event === "end", "the end event");
    expect(end.data.status).toBe("completed");
    const run = (await api(backend.url, "GET", `/runs/${runId}`)).body.run;
    expect(run.attempts[0].workerId).toBe("remote-1");
  }, 60_000);

  test("SIGTERM ends open streams cleanly: the service exits within its grace period", async () => {
    const backend = await liveBackend(["--grace-ms", "500"]);
    const { runId } = await post(backend, "live.tick", { lines: 1, gate: join(tempDir(), "never") });
    const stream = await connectSse(backend.url, `/runs/${runId}/output`);
    const feed = await connectSse(backend.url, "/stream");
    await stream.waitFor((event) => event.event === "chunk", "the first chunk");
    const started = Date.now();
    const code = await backend.stop("SIGTERM");
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(8_000);
    await stream.ended;
    await feed.ended;
    // The run was interrupted by the stop; the stream saw that before it closed.
    expect(stream.events.at(-1)?.event).toBe("end");
    expect(stream.events.at(-1)?.data.status).toBe("failed");
  });
});
