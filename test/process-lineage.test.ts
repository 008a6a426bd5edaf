// Step descendants found by ancestry: a grandchild that leaves the group (setsid) and drops the tag (env -i) still dies.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import type { FlowEvent } from "../src/core/types.js";
import { discoverFlows, findFlow } from "../src/engine/discover.js";
import { runStep } from "../src/engine/run-step.js";
import { killGroup, LINEAGE_SCAN_MS, spawnGroup } from "../src/process/process-tree.js";
import { FIXTURES, tempDir } from "./helpers.js";
import { isAlive, waitFor } from "./process-helpers.js";

/** A shell step that starts `env -i setsid sleep 600` (no pipes held), prints its pid, then runs `rest`. */
function startEscaper(rest: string) {
  const child = spawnGroup("sh", ["-c", `env -i setsid sleep 600 </dev/null >/dev/null 2>&1 & echo $!; ${rest}`], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    out += text;
  });
  const escaped = waitFor(() => Number(out.trim().split("\n")[0]) || undefined);
  return { child, escaped };
}

const event = (type: string, payload: object): FlowEvent => ({
  id: `lineage-${type}`,
  type,
  receivedAt: new Date().toISOString(),
  payload,
});

describe("step lineage", () => {
  test("killing a running step kills a grandchild that left with setsid and cleared its environment", async () => {
    const { child, escaped } = startEscaper("exec sleep 600");
    const pid = await escaped;
    expect(isAlive(pid)).toBe(true);
    await killGroup(child);
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(child.pid as number)).toBe(false);
  });

  test("ancestry is recorded while the step runs: its escaped grandchild ends with it after a normal exit", async () => {
    const { child, escaped } = startEscaper(`sleep ${(LINEAGE_SCAN_MS * 3) / 1000}`);
    const pid = await escaped;
    await new Promise((resolve) => child.once("exit", resolve));
    // The leader is gone, so the grandchild's parent link to it is gone too; only the record remains.
    await sleep(50);
    await killGroup(child, { escaped: false });
    expect(isAlive(pid)).toBe(false);
  });

  test("a bun step's timeout kills its env -i setsid grandchild that holds its stdout", async () => {
    const flows = discoverFlows(join(FIXTURES, "outcomes"));
    const flow = findFlow(flows, "leftovers");
    const step = flow?.steps.find((candidate) => candidate.name === "hang");
    if (!flow || !step) throw new Error("fixture flow leftovers missing");
    const pidFile = join(tempDir(), "left.pid");
    const run = await runStep(flow, step, event("leftovers.hang", { pidFile, setsid: true, clearEnv: true }));
    expect(run.result.status).toBe("failed");
    expect(run.result.message).toMatch(/^timed out after 1500 ms \(raise steps\[1\]\.timeout_ms in /);
    const left = Number(readFileSync(pidFile, "utf8"));
    // Dead by the time the step's run is reported, not some time later.
    expect(isAlive(left)).toBe(false);
  });
});
