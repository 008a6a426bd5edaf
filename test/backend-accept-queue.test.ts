// The accept queue's group commit on a real SQLite file: idle() means every event handed in so far is answered.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { AcceptQueue } from "../src/backend/accept-queue.js";
import type { FlowEvent } from "../src/core/types.js";
import { ensureEventsFolder, eventFileHolds, eventFilePath } from "../src/store/event-files.js";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { tempDir } from "./helpers.js";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("accept queue", () => {
  test("idle() waits for every flush, not only the newest: answers and event files", async () => {
    const dataDir = tempDir();
    ensureEventsFolder(dataDir);
    const db = await openStore(join(dataDir, DATABASE_FILE));
    const queue = new AcceptQueue(db, dataDir, () => {});
    const answered: string[] = [];
    const accept = (event: FlowEvent) =>
      queue.accept({ event, runs: [], skipped: [] }).then(() => answered.push(event.id));
    const receivedAt = new Date().toISOString();
    const bigEvent = { id: "big", type: "t", receivedAt, payload: { blob: "x".repeat(32 * 1024 * 1024) } };
    const smallEvent = { id: "small", type: "t", receivedAt, payload: {} };
    // The first batch's event file takes long to write (32 MB); a second batch starts meanwhile.
    const big = accept(bigEvent);
    await nextTurn();
    const small = accept(smallEvent);
    await nextTurn();
    await queue.idle();
    expect(answered.sort()).toEqual(["big", "small"]);
    // Files are written after the answers; idle() covers them too, so nothing is left behind at close.
    expect(eventFileHolds(eventFilePath(dataDir, "big"), bigEvent)).toBe(true);
    expect(eventFileHolds(eventFilePath(dataDir, "small"), smallEvent)).toBe(true);
    await Promise.all([big, small]);
    db.close();
  });
});
