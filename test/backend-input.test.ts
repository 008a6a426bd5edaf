// Hostile or odd input against a real service: deep JSON, dot and control-character ids, huge and abandoned bodies.
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { api, eventually, finishedRuns, rawApi, rawConnection, startBackend } from "./backend-helpers.js";
import { runCli } from "./helpers.js";

const nested = (open: string, close: string, depth: number, inner = "1") =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`;

describe("backend input", () => {
  test("deeply nested JSON gets a 400 naming the depth limit, never a 5xx, and stores nothing", async () => {
    const backend = await startBackend();
    const deep = [
      nested("[", "]", 100_000),
      nested('{"a":', "}", 50_000),
      // Brackets inside strings do not count, escaped quotes included.
      `[${nested("[", "]", 200, '"\\"[[[[["')}]`,
    ];
    for (const payload of deep) {
      const answer = await api(backend.url, "POST", "/events", undefined, {
        raw: `{"id":"deep","type":"demo.echo","payload":${payload}}`,
      });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/nested deeper than 64 levels/);
    }
    const replay = await api(backend.url, "POST", "/events/deep/replay", undefined, { raw: nested("[", "]", 1000) });
    expect(replay.status).toBe(400);
    expect((await api(backend.url, "GET", "/events")).body.events).toEqual([]);

    // Within the limit (strings full of brackets do not count) is fine.
    const fine = { id: "nested-ok", type: "nothing.listens", payload: JSON.parse(nested("[", "]", 60, '"[[[[{{{{"')) };
    expect((await api(backend.url, "POST", "/events", fine)).status).toBe(202);
    expect(backend.stderr()).not.toMatch(/error:/);
  });

  test("event ids '.' and '..' are reachable: the path is split and decoded as sent, never resolved", async () => {
    const backend = await startBackend();
    for (const id of [".", "..", "%2e", "a/../b"]) {
      expect((await api(backend.url, "POST", "/events", { id, type: "demo.blocked" })).status).toBe(202);
    }
    const paths: [string, string][] = [
      ["/events/.", "."],
      ["/events/%2E", "."],
      ["/events/..", ".."],
      ["/events/.%2e", ".."],
      ["/events/%2E%2E", ".."],
      ["/events/%252e", "%2e"],
      ["/events/a%2F..%2Fb", "a/../b"],
    ];
    for (const [path, id] of paths) {
      const shown = await rawApi(backend.url, "GET", path);
      expect([path, shown.status, shown.body.event?.id]).toEqual([path, 200, id]);
    }
    expect((await rawApi(backend.url, "GET", "/events/./..")).status).toBe(404);
    const replay = await rawApi(backend.url, "POST", "/events/../replay", "{}");
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ eventId: "..", replay: 1 });
    await finishedRuns(backend.url, "..", 2);

    // The CLI reaches them too (its HTTP client must not resolve the segments either).
    const shown = await runCli(["backend", "show-event", ".", "--url", backend.url, "--json"]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout).event.id).toBe(".");
    const replayed = await runCli(["backend", "replay-event", "..", "--url", backend.url, "--json", "--wait"]);
    expect(replayed.code).toBe(3);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ eventId: "..", replay: 2 });
  });

  test("an event id with a control character is refused (400 naming the field); a step's next event with one is dropped", async () => {
    const backend = await startBackend();
    for (const id of ["nul\u0000byte", "line\nbreak", "tab\there", "del\u007f", "c1\u0085"]) {
      const answer = await api(backend.url, "POST", "/events", { id, type: "demo.blocked" });
      expect([JSON.stringify(id), answer.status]).toEqual([JSON.stringify(id), 400]);
      expect(answer.body).toMatchObject({ field: "id", error: expect.stringMatching(/control character/) });
    }
    expect((await api(backend.url, "GET", "/events")).body.events).toEqual([]);

    await api(backend.url, "POST", "/events", {
      id: "fan",
      type: "demo.chain-ids",
      payload: { ids: ["ok", "bad\u0000"] },
    });
    const [run] = await finishedRuns(backend.url, "fan", 1);
    expect(run?.status).toBe("completed");
    await eventually(async () => (await api(backend.url, "GET", "/events/ok")).status === 200, 10_000, "event ok");
    const ids = (await api(backend.url, "GET", "/events")).body.events.map((e: { id: string }) => e.id);
    expect(ids.sort()).toEqual(["fan", "ok"]);
    expect(backend.stderr()).toMatch(/bad next event: .*control character/);
  });

  test("a body past 64 MiB gets a 413 answer, and the service carries on", async () => {
    const backend = await startBackend();
    const { hostname } = new URL(backend.url);
    const { socket, answer } = rawConnection(backend.url);
    const total = 80 * 1024 * 1024;
    socket.write(
      `POST /events HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n`,
    );
    const chunk = Buffer.alloc(1024 * 1024, "x");
    for (let sent = 0; sent < total && answer() === "" && !socket.destroyed; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve).once("close", resolve));
    }
    await eventually(() => answer().includes("\r\n\r\n{") || socket.destroyed, 10_000, "an answer or a closed socket");
    expect(answer()).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer()).toContain("larger than the limit of 1048576 bytes");
    expect((await api(backend.url, "POST", "/events", { id: "after", type: "nothing.listens" })).status).toBe(202);
    expect(backend.stderr()).not.toMatch(/error:/);
  });

  test("a client that hangs up mid-body is no error: no 5xx, no error log line", async () => {
    const backend = await startBackend();
    const { hostname, port } = new URL(backend.url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      `POST /events HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"id":`,
    );
    await sleep(100);
    socket.destroy();
    // Give the server time to see the hang-up, then check it is still fine and logged nothing.
    await sleep(300);
    expect((await api(backend.url, "GET", "/healthz")).status).toBe(200);
    expect((await api(backend.url, "GET", "/events")).body.events).toEqual([]);
    expect(backend.stderr()).not.toMatch(/error:/);
  });
});
