// Reading and normalising FlowEvents: from a file, stdin or a value; id/type checked, receivedAt filled.
import { readFileSync } from "node:fs";
import { EventError } from "../core/errors.js";
import type { FlowEvent } from "../core/types.js";
import { contractProblems } from "../schema/contracts.js";

/**
 * Turns an unknown value into a FlowEvent: `receivedAt` is filled with now when absent, a missing
 * `payload` becomes `{}`, unknown top-level fields are kept. Throws EventError naming each bad field.
 */
export function normalizeEvent(value: unknown, where = "event"): FlowEvent {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EventError("an event must be a JSON object", {
      where,
      hint: 'expected {"id": "...", "type": "...", "payload": {...}}',
    });
  }
  const event = { ...(value as Record<string, unknown>) };
  event.receivedAt ??= new Date().toISOString();
  if (event.payload === undefined) event.payload = {};
  const problems = contractProblems("event", event);
  if (problems.length > 0) {
    throw new EventError(`not a valid FlowEvent: ${problems.join("; ")}`, {
      where,
      hint: "id and type must be non-empty strings",
    });
  }
  return event as FlowEvent;
}

/** Parses event JSON text; `where` names the file (or stdin) in errors. */
export function parseEvent(text: string, where: string): FlowEvent {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new EventError(`not valid JSON: ${(error as Error).message}`, { where, cause: error });
  }
  return normalizeEvent(value, where);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads an event from a file path, or from stdin when `source` is `-`. */
export async function readEvent(source: string): Promise<FlowEvent> {
  if (source === "-") return parseEvent(await readStdin(), "stdin");
  let text: string;
  try {
    // Sync: its callers (run, fire, a worker's step) wait for the event before anything else. Both
    // async APIs cost a step's start more: node:fs/promises loads ~20 internal modules (readline,
    // watchers, dirs), and either starts libuv's thread pool (bench P2).
    text = readFileSync(source, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new EventError(code === "ENOENT" ? "event file not found" : `cannot read event file (${code})`, {
      where: source,
      hint: "pass --event FILE, or --event - to read the event from stdin",
      cause: error,
    });
  }
  return parseEvent(text, source);
}
