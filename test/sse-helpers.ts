// Test helpers for Server-Sent Events: a raw client over node:http that records every event and comment it reads.

import { randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { onTestFinished } from "vitest";
import { signRequest } from "../src/wire/signature.js";
import { eventually } from "./backend-helpers.js";

export interface SseEvent {
  event: string;
  id?: string;
  // biome-ignore lint/suspicious/noExplicitAny: events are checked by shape.
  data: any;
}

export interface SseConnection {
  status: number;
  headers: IncomingMessage["headers"];
  /** The JSON body of an answer that is not a stream. */
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked by shape.
  body?: any;
  events: SseEvent[];
  comments: string[];
  /** Resolves with the first event (in order) matching, waiting for it if needed. */
  waitFor(match: (event: SseEvent) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  isEnded(): boolean;
  close(): void;
}

export interface SseOptions {
  headers?: Record<string, string>;
  secret?: string;
}

/** Opens `path` with `Accept: text/event-stream`; closed when the test ends. */
export function connectSse(url: string, path: string, options: SseOptions = {}): Promise<SseConnection> {
  const { hostname, port } = new URL(url);
  const headers: Record<string, string> = { accept: "text/event-stream", ...options.headers };
  if (options.secret) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomBytes(16).toString("hex");
    headers["x-flow-timestamp"] = timestamp;
    headers["x-flow-nonce"] = nonce;
    headers["x-flow-signature-256"] = signRequest(options.secret, "GET", path, timestamp, "", nonce);
  }
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: hostname, port, method: "GET", path, headers }, (response) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      let ended = false;
      let buffer = "";
      let text = "";
      const endedPromise = new Promise<void>((done) => {
        response.on("end", () => {
          ended = true;
          done();
        });
        response.on("close", () => {
          ended = true;
          done();
        });
      });
      response.on("error", () => {});
      const streaming = (response.headers["content-type"] ?? "").startsWith("text/event-stream");
      response.setEncoding("utf8").on("data", (piece: string) => {
        if (!streaming) {
          text += piece;
          return;
        }
        buffer += piece;
        let split = buffer.indexOf("\n\n");
        while (split >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const event: Partial<SseEvent> = { event: "message" };
          let data: string | undefined;
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("event: ")) event.event = line.slice(7);
            else if (line.startsWith("id: ")) event.id = line.slice(4);
            else if (line.startsWith("data: ")) data = (data === undefined ? "" : `${data}\n`) + line.slice(6);
          }
          if (data !== undefined) events.push({ ...event, data: JSON.parse(data) } as SseEvent);
          split = buffer.indexOf("\n\n");
        }
      });
      const connection: SseConnection = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        comments,
        ended: endedPromise,
        isEnded: () => ended,
        waitFor: (match, what, timeoutMs = 20_000) => eventually(() => events.find(match), timeoutMs, what),
        close: () => outgoing.destroy(),
      };
      onTestFinished(() => {
        outgoing.destroy();
      });
      if (streaming) resolve(connection);
      else
        response.on("end", () => {
          try {
            connection.body = JSON.parse(text);
          } catch {
            connection.body = text;
          }
          resolve(connection);
        });
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}
