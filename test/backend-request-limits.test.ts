// Request limits on a real service: bodies that are not UTF-8, declared lengths past the limit, trickled headers.
import { describe, expect, test } from "vitest";
import { api, eventually, rawConnection, startBackend } from "./backend-helpers.js";

/** Posts raw bytes (fetch would re-encode a string) and returns the status and parsed answer. */
async function postBytes(url: string, path: string, bytes: Buffer) {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: bytes,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("backend request limits", () => {
  test("invalid UTF-8 in a body is a 400, so two ids differing only in bad bytes never merge", async () => {
    const backend = await startBackend();
    const event = (bad: number[]) =>
      Buffer.concat([Buffer.from('{"id":"bad-'), Buffer.from(bad), Buffer.from('","type":"nothing.listens"}')]);
    for (const bad of [[0xff], [0xfe], [0xc3], [0xed, 0xa0, 0x80]]) {
      const answer = await postBytes(backend.url, "/events", event(bad));
      expect([bad, answer.status]).toEqual([bad, 400]);
      expect(answer.body).toMatchObject({ error: expect.stringMatching(/not valid UTF-8.*offset 11/), offset: 11 });
    }
    const replay = await postBytes(backend.url, "/events/x/replay", Buffer.from([0x7b, 0xff, 0x7d]));
    expect(replay.status).toBe(400);
    expect((await api(backend.url, "GET", "/events")).body.events).toEqual([]);
    // Real UTF-8 is of course fine.
    const fine = await postBytes(backend.url, "/events", Buffer.from('{"id":"ünï-✓","type":"nothing.listens"}'));
    expect(fine.status).toBe(202);
    expect(backend.stderr()).not.toMatch(/error:/);
  });

  test("a declared Content-Length past the limit gets a 413 from the header, before any body", async () => {
    const backend = await startBackend();
    const { hostname } = new URL(backend.url);
    const { socket, answer } = rawConnection(backend.url);
    socket.write(
      `POST /events HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ncontent-length: ${2 ** 40}\r\n\r\n`,
    );
    await eventually(() => answer().includes("\r\n\r\n{"), 3_000, "a 413 with no body sent");
    expect(answer()).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer()).toContain("larger than the limit of 1048576 bytes");
    expect((await api(backend.url, "POST", "/events", { id: "after", type: "nothing.listens" })).status).toBe(202);
    expect(backend.stderr()).not.toMatch(/error:/);
  });

  test("with Expect: 100-continue, a body declared too large is refused before the client is asked for it", async () => {
    const backend = await startBackend();
    const { hostname } = new URL(backend.url);
    const { socket, answer } = rawConnection(backend.url);
    socket.write(
      `POST /events HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n`,
    );
    await eventually(() => answer().includes("\r\n\r\n{"), 3_000, "a 413");
    expect(answer()).toMatch(/^HTTP\/1\.1 413 /);
    // A small body still gets its 100 Continue and is accepted.
    const small = rawConnection(backend.url);
    const body = JSON.stringify({ id: "continued", type: "nothing.listens" });
    small.socket.write(
      `POST /events HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\nexpect: 100-continue\r\ncontent-length: ${body.length}\r\n\r\n`,
    );
    await eventually(() => small.answer().startsWith("HTTP/1.1 100 Continue"), 3_000, "100 Continue");
    small.socket.write(body);
    await eventually(() => small.answer().includes("HTTP/1.1 202"), 3_000, "a 202");
  });

  test("a client that trickles its headers is cut off after the 5 s header timeout", async () => {
    const backend = await startBackend();
    const { socket } = rawConnection(backend.url);
    socket.write("GET /events HTTP/1.1\r\nhost: x\r\n");
    const started = Date.now();
    // One header line a second, never the end of the headers (Node's default waits 60 s, checked every 30 s).
    const trickle = setInterval(() => socket.write(`x-slow-${Date.now()}: 1\r\n`), 1_000);
    try {
      await eventually(() => socket.destroyed || socket.readableEnded, 12_000, "the server to cut the connection");
    } finally {
      clearInterval(trickle);
    }
    expect(Date.now() - started).toBeLessThan(8_000);
    expect((await api(backend.url, "GET", "/healthz")).status).toBe(200);
  });
});
