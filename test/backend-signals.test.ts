// Stopping `backend serve` by signal never orphans a running step: SIGHUP, and a second SIGTERM or SIGINT.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { api, processGone, slowPids, startBackend, tempDir } from "./backend-helpers.js";

/** A service with one running slow step (a SIGTERM-ignoring grandchild, an env -i setsid one); its pids. */
async function serviceWithRunningStep(args: string[] = []) {
  const backend = await startBackend({ args });
  const pidFile = join(tempDir(), "pids.json");
  const accepted = await api(backend.url, "POST", "/events", {
    id: "sig",
    type: "demo.slow",
    payload: { pidFile, escape: true },
  });
  const pids = await slowPids(pidFile);
  return {
    backend,
    runId: accepted.body.runIds[0] as string,
    tree: [pids.step, pids.grandchild, pids.escaped as number],
  };
}

async function storedRun(dataDir: string, runId: string) {
  const db = await openStore(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare("SELECT status, error FROM runs WHERE id = ?").get(runId) as { status: string; error: string };
  } finally {
    db.close();
  }
}

describe("backend serve signals", () => {
  test("SIGHUP stops the service like SIGTERM: steps get the grace period, then their trees are killed", async () => {
    const { backend, runId, tree } = await serviceWithRunningStep(["--grace-ms", "300"]);
    expect(await backend.stop("SIGHUP")).toBe(0);
    expect(tree.map(processGone)).toEqual([true, true, true]);
    expect(await storedRun(backend.dataDir, runId)).toEqual({
      status: "failed",
      error: "interrupted: the service stopped before the step finished",
    });
  });

  test.each(["SIGTERM", "SIGINT"] as const)(
    "a second %s cuts the grace period short but still kills the step trees first and records the runs",
    async (signal) => {
      const { backend, runId, tree } = await serviceWithRunningStep(["--grace-ms", "60000"]);
      backend.child.kill(signal);
      // Two signals sent back to back can arrive as one; let the first be handled.
      await sleep(300);
      const started = Date.now();
      expect(await backend.stop(signal)).toBe(0);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(tree.map(processGone)).toEqual([true, true, true]);
      expect((await storedRun(backend.dataDir, runId)).status).toBe("failed");
      expect(backend.stderr()).toMatch(new RegExp(`${signal} again: not waiting any longer`));
    },
  );
});
