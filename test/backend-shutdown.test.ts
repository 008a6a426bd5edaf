// SIGTERM in the middle of a burst of POSTs: every stored event was answered, every unanswered one was not stored.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { api, eventually, startBackend } from "./backend-helpers.js";

describe("backend shutdown under load", () => {
  test("an event is stored if and only if its POST was answered with 202", async () => {
    const backend = await startBackend();
    /** Per event id: the answer's status, or "none" when the connection died first. */
    const fates = new Map<string, string>();
    let next = 0;
    // 64 clients post one event after another until the service no longer answers.
    const client = async () => {
      while (next < 50_000) {
        const id = `burst-${next++}`;
        try {
          fates.set(id, String((await api(backend.url, "POST", "/events", { id, type: "nothing.listens" })).status));
        } catch {
          fates.set(id, "none");
          return;
        }
      }
    };
    const clients = Array.from({ length: 64 }, client);
    await eventually(() => fates.size >= 500, 20_000, "the burst to get going");
    expect(await backend.stop("SIGTERM")).toBe(0);
    await Promise.all(clients);

    const db = await openStore(join(backend.dataDir, DATABASE_FILE), { readonly: true });
    const stored = new Set((db.prepare("SELECT id FROM events").pluck().all() as string[]) ?? []);
    db.close();
    const wrong = [...fates].filter(([id, fate]) => (fate === "202") !== stored.has(id));
    expect(wrong).toEqual([]);
    expect(stored.size).toBeGreaterThan(0);
  });
});
