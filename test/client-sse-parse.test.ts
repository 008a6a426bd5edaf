// The client's text/event-stream parser: events split at any byte, CRLF and CR line ends, comments and multi-line data.
import { expect, test } from "vitest";
import { type SseMessage, sseMessages } from "../src/client/run-output.js";

async function parse(pieces: Uint8Array[]): Promise<SseMessage[]> {
  async function* source() {
    for (const piece of pieces) yield piece;
  }
  const messages: SseMessage[] = [];
  for await (const message of sseMessages(source())) messages.push(message);
  return messages;
}

const text =
  ': open\r\n\r\nevent: chunk\r\nid: 1:0\r\ndata: {"text":"h\u00e9llo \u{1F600}"}\r\n\r\n' +
  ": ping\r\revent: status\rdata: a\rdata: b\r\r" +
  "data:no space\n\nevent: end\ndata: {}\n\n";

const expected: SseMessage[] = [
  { event: "chunk", id: "1:0", data: '{"text":"h\u00e9llo \u{1F600}"}' },
  { event: "status", id: undefined, data: "a\nb" },
  { event: "message", id: undefined, data: "no space" },
  { event: "end", id: undefined, data: "{}" },
];

test("the same events whether the stream comes whole or one byte at a time", async () => {
  const bytes = new TextEncoder().encode(text);
  expect(await parse([bytes])).toEqual(expected);
  // Every byte apart: splits inside the multi-byte characters and between CR and LF.
  expect(await parse([...bytes].map((byte) => Uint8Array.of(byte)))).toEqual(expected);
});

test("an event not closed by a blank line before the stream ends is not delivered", async () => {
  expect(await parse([new TextEncoder().encode("event: end\ndata: {}\n")])).toEqual([]);
});
