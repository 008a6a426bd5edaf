// A worker runs a claim from a copy of the flows checked moments ago, but never refuses a claim for an
// edit that copy has not seen yet.
import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { discoverFlows } from "../src/engine/discover.js";
import { normalizeEvent } from "../src/engine/event.js";
import { FlowCatalog } from "../src/engine/flow-catalog.js";
import type { Claim } from "../src/wire/protocol.js";
import { directExecutor } from "../src/worker/executors/direct.js";
import { claimRunner } from "../src/worker/run-claim.js";
import { oneStepManifest, resultScript, tempDir, writeFiles } from "./helpers.js";

function claimFor(manifestHash: string | null): Claim {
  return {
    runId: "run_1",
    eventId: "e1",
    flow: "edited",
    step: "main",
    attemptId: 1,
    attemptNumber: 1,
    maxAttempts: 1,
    leaseToken: "token",
    leaseMs: 60_000,
    leaseExpiresAt: Date.now() + 60_000,
    event: normalizeEvent({ id: "e1", type: "test.event" }),
    manifestHash,
  };
}

test("a flow.toml edited just before the claim is read again instead of refusing the run", async () => {
  const project = writeFiles(tempDir(), {
    "flows/edited/flow.toml": oneStepManifest("edited"),
    "flows/edited/exec/main.ts": resultScript({ status: "completed", message: "ran" }),
  });
  const catalog = new FlowCatalog(project);
  const run = claimRunner({
    catalog,
    executor: directExecutor,
    workerId: "w1",
    eventFile: () => join(project, "event.json"),
  });
  // The worker's copy is fresh now, and stays "recent" for a moment.
  expect(catalog.find("edited", "main", 60_000)).toBeDefined();
  const manifest = join(project, "flows", "edited", "flow.toml");
  writeFileSync(manifest, readFileSync(manifest, "utf8").replace("version = 1", "version = 2"));
  // Same size: only the mtime shows the edit, so make sure it moves even on a coarse clock.
  const later = new Date(Date.now() + 5_000);
  utimesSync(manifest, later, later);
  const edited = discoverFlows(project).flows[0]?.manifestHash ?? null;
  expect(edited).not.toBeNull();
  const io = { signal: new AbortController().signal, output: () => {} };
  const outcome = await run(claimFor(edited), io);
  expect(outcome).toMatchObject({ status: "completed", result: { message: "ran" } });
  // A claim for a copy that really differs is still refused, naming both hashes.
  const refused = await run(claimFor("0000"), io);
  expect(refused.status).toBe("failed");
  expect(refused.error).toMatch(/differs from the backend's/);
}, 30_000);
