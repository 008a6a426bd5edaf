// The engine's fan-out: chained `next` events with parent ids, the depth limit, and the concurrency limit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { discoverFlows } from "../src/engine/discover.js";
import { fire } from "../src/engine/engine.js";
import { normalizeEvent } from "../src/engine/event.js";
import { FIXTURES, jsonOf, runCli, tempDir, writeEvent } from "./helpers.js";

const project = join(FIXTURES, "outcomes");
const { flows } = discoverFlows(project);

describe("chaining", () => {
  test("next events are fired after the step, with derived or explicit ids and the parent recorded", async () => {
    const report = await fire(normalizeEvent({ id: "root", type: "chain.start" }), flows);
    const runs = report.runs.map((run) => ({
      eventId: run.eventId,
      parent: run.parentEventId,
      step: `${run.flow}/${run.step}`,
      message: run.result.message,
    }));
    expect(runs.sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual([
      { eventId: "explicit-id", parent: "root", step: "chain-second/main", message: "got n=2 from root" },
      { eventId: "root", parent: undefined, step: "chain/start", message: undefined },
      { eventId: "root:chain:start:0", parent: "root", step: "chain-second/main", message: "got n=1 from root" },
    ]);
    expect(report.errors).toEqual([]);
  });

  test("a loop stops at the depth limit with a clear error, after exactly maxDepth hops", async () => {
    const report = await fire(normalizeEvent({ id: "ping", type: "loop.ping" }), flows, { maxDepth: 3 });
    expect(report.runs).toHaveLength(4); // the root event plus three hops
    expect(report.errors).toEqual([
      {
        eventId: "ping:loop:ping:0:loop:ping:0:loop:ping:0",
        where: "loop/ping",
        message: "chain depth limit of 3 reached; 1 next event(s) not fired (do steps trigger each other in a loop?)",
      },
    ]);
  });

  test("through the CLI the default limit is 8 and the loop exits with code 2", async () => {
    const file = writeEvent(tempDir(), { id: "cli-ping", type: "loop.ping" });
    const result = await runCli(["fire", "--cwd", project, "--event", file, "--json"]);
    expect(result.code).toBe(2);
    const report = jsonOf<{ runs: unknown[]; errors: { message: string }[] }>(result);
    expect(report.runs).toHaveLength(9);
    expect(report.errors[0]?.message).toContain("chain depth limit of 8 reached");
  });
});

describe("concurrency", () => {
  /** The most steps that were between their start and end lines at once, from the shared log. */
  function maxOverlap(log: string): number {
    let running = 0;
    let most = 0;
    for (const line of log.trim().split("\n")) {
      running += line.startsWith("start") ? 1 : -1;
      most = Math.max(most, running);
    }
    return most;
  }

  test.each([1, 2, 4])("at most %i of the six matching steps run at once", async (concurrency) => {
    const dir = tempDir();
    const report = await fire(normalizeEvent({ id: "par", type: "parallel.go", payload: { dir } }), flows, {
      concurrency,
    });
    expect(report.runs.map((run) => run.status)).toEqual(Array(6).fill("completed"));
    const overlap = maxOverlap(readFileSync(join(dir, "log"), "utf8"));
    expect(overlap).toBeLessThanOrEqual(concurrency);
    // Steps sleep 300 ms, so with room for more than one, at least two always overlap.
    expect(overlap).toBeGreaterThanOrEqual(Math.min(concurrency, 2));
  });

  test("the CLI rejects a concurrency that is not a positive integer", async () => {
    const result = await runCli(["fire", "--cwd", project, "--event", "x.json", "--concurrency", "0"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('error: --concurrency must be a positive integer, got "0"\n');
  });
});
