// Writing a Server-Sent Events answer: its headers, events, a ping that keeps proxies from cutting an idle stream, and its end.
import type { ServerResponse } from "node:http";

/** Proxies commonly drop a connection after 30 to 60 s of silence; a comment every 15 s stays under that. */
export const PING_INTERVAL_MS = 15_000;
/**
 * A state-feed client that stops reading is dropped once this much is queued for it, instead of the
 * service holding an ever-growing buffer (output streams wait for the client instead, see `send`).
 */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

export interface SseStream {
  /** Writes one event; false when the client's buffer is full (wait for `onDrain` before more). */
  send(event: string, data: unknown, id?: string): boolean;
  onDrain(listener: () => void): void;
  /** Called once when the stream is over, whoever ended it (the client, `end`, the service). */
  onGone(listener: () => void): void;
  end(): void;
  readonly gone: boolean;
}

export function openSse(response: ServerResponse): SseStream {
  response.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    // nginx buffers answers by default, which would hold events back until the buffer fills.
    "x-accel-buffering": "no",
  });
  // The headers go out now, so a client knows the stream is open before the first event.
  response.write(": open\n\n");
  let gone = false;
  const goneListeners: (() => void)[] = [];
  const ping = setInterval(() => {
    if (!gone) response.write(": ping\n\n");
  }, PING_INTERVAL_MS);
  const finish = () => {
    if (gone) return;
    gone = true;
    clearInterval(ping);
    for (const listener of goneListeners.splice(0)) listener();
  };
  response.once("close", finish);
  return {
    send(event, data, id) {
      if (gone) return false;
      const idLine = id === undefined ? "" : `id: ${id}\n`;
      // JSON has no raw newlines, so one `data:` line carries the whole value.
      const ok = response.write(`event: ${event}\n${idLine}data: ${JSON.stringify(data)}\n\n`);
      if (response.writableLength > MAX_QUEUED_BYTES) {
        response.destroy();
        finish();
        return false;
      }
      return ok;
    },
    onDrain(listener) {
      response.once("drain", listener);
    },
    onGone(listener) {
      if (gone) listener();
      else goneListeners.push(listener);
    },
    end() {
      if (gone) return;
      response.end();
      finish();
    },
    get gone() {
      return gone;
    },
  };
}
