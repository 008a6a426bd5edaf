// A run is handed out only once the events stored so far are on disk (synchronous=NORMAL commits plus a WAL sync).
import { expect, test } from "vitest";
import { insertEvent } from "../src/store/insert-event.js";
import type { Durability } from "../src/store/wal-sync.js";
import { eventually, openLocalProtocol } from "./backend-helpers.js";
import { ALL } from "./lease-protocol-suite.js";

/** Durability whose pending syncs the test lets go of by hand. */
class HeldDurability implements Durability {
  pending = false;
  readonly waiting: (() => void)[] = [];
  noteCommit(): void {
    this.pending = true;
  }
  settled(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    this.pending = false;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

test("a claim of a run whose event is not yet synced is answered only after the sync", async () => {
  const durability = new HeldDurability();
  const { db, protocol } = await openLocalProtocol({ durability });
  const receivedAt = new Date().toISOString();
  insertEvent(db, {
    event: { id: "e1", type: "demo.echo", receivedAt, payload: { message: "hi" } },
    runs: [{ flow: "echo", step: "say", maxAttempts: 1, runner: "bun" }],
    skipped: [],
    now: Date.now(),
  });
  durability.noteCommit();
  let answered = false;
  const claiming = protocol.claim({ workerId: "w1", capabilities: ALL }).then((claim) => {
    answered = true;
    return claim;
  });
  await eventually(() => durability.waiting.length === 1, 5_000, "the claim to wait for the sync");
  expect(answered).toBe(false);
  durability.release();
  expect(await claiming).toMatchObject({ eventId: "e1", flow: "echo", step: "say" });
  // Nothing pending: the next claim (none queued) answers at once.
  expect(await protocol.claim({ workerId: "w1", capabilities: ALL })).toBeNull();
});
