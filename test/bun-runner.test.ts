// The bun runner with real Bun processes: stdin context, cwd, environment, timeouts, abort, missing Bun.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { FlowEvent } from "../src/core/types.js";
import { discoverFlows, findFlow } from "../src/engine/discover.js";
import { runStep } from "../src/engine/run-step.js";
import { FIXTURES, jsonOf, ROOT, runCli, tempDir, writeEvent } from "./helpers.js";
import { isAlive, waitFor } from "./process-helpers.js";

const project = join(FIXTURES, "outcomes");
const flows = discoverFlows(project);

function flowStep(name: string) {
  const flow = findFlow(flows, name);
  if (!flow?.steps[0]) throw new Error(`fixture flow ${name} missing`);
  return { flow, step: flow.steps[0] };
}

function event(type: string, payload: unknown = {}): FlowEvent {
  return { id: `ev-${type}`, type, receivedAt: "2026-01-01T00:00:00.000Z", payload, extra: "kept" };
}

describe("bun runner", () => {
  test("the step gets exactly the seed's context on stdin, runs in its cwd and inherits the environment", async () => {
    const { flow, step } = flowStep("echo-context");
    const run = await runStep(flow, step, event("outcome.echo", { who: "me" }), {
      env: { ...process.env, CODEX_FLOWS_TEST_MARK: "inherited" },
    });
    expect(run.status).toBe("completed");
    expect(run.result.artifacts).toEqual({
      context: {
        flow: {
          name: "echo-context",
          version: 1,
          root: join(project, "flows/echo-context"),
          step: "main",
          config: { greeting: "hi", retries: 3 },
          event: {
            id: "ev-outcome.echo",
            type: "outcome.echo",
            receivedAt: "2026-01-01T00:00:00.000Z",
            payload: { who: "me" },
            extra: "kept",
          },
        },
      },
      cwd: join(project, "flows/echo-context/work"),
      mark: "inherited",
    });
  });

  test("output is streamed to the sink while the step runs", async () => {
    const { flow, step } = flowStep("no-result");
    const chunks: string[] = [];
    await runStep(flow, step, event("outcome.no-result"), {
      output: (stream, text) => chunks.push(`${stream}:${text}`),
    });
    expect(chunks.join("")).toContain("stdout:did some work\n");
    expect(chunks.join("")).toContain("stderr:but forgot the result\n");
  });

  test("a timeout kills the whole process tree, grandchildren ignoring SIGTERM included", async () => {
    const pidFile = join(tempDir(), "grandchild.pid");
    const { flow, step } = flowStep("sleeper");
    const running = runStep(flow, step, event("outcome.sleep", { pidFile }));
    const grandchild = await waitFor(() => {
      try {
        return Number(readFileSync(pidFile, "utf8").trim()) || undefined;
      } catch {
        return undefined;
      }
    });
    expect(isAlive(grandchild)).toBe(true);
    const run = await running;
    expect(run.status).toBe("failed");
    expect(run.result.message).toMatch(
      /^timed out after 1500 ms \(raise steps\[\d+\]\.timeout_ms in \/.*flow\.toml if/,
    );
    await waitFor(() => (isAlive(grandchild) ? undefined : true), 5_000);
  });

  test("an abort signal cancels the step and kills its tree", async () => {
    const pidFile = join(tempDir(), "grandchild.pid");
    const { flow, step } = flowStep("sleeper");
    const controller = new AbortController();
    const running = runStep(flow, step, event("outcome.sleep", { pidFile }), { signal: controller.signal });
    const grandchild = await waitFor(() => {
      try {
        return Number(readFileSync(pidFile, "utf8").trim()) || undefined;
      } catch {
        return undefined;
      }
    });
    controller.abort();
    const run = await running;
    expect(run.result).toEqual({ status: "failed", message: "canceled" });
    await waitFor(() => (isAlive(grandchild) ? undefined : true), 5_000);
  });

  test.each([
    ["in its process group", false],
    ["escaped with setsid", true],
  ])("a step that exits is done, and the process it left running %s is ended with it", async (_where, setsid) => {
    const pidFile = join(tempDir(), "left.pid");
    const flow = findFlow(flows, "leftovers");
    const step = flow?.steps.find((candidate) => candidate.name === "background");
    if (!flow || !step) throw new Error("fixture flow leftovers missing");
    const run = await runStep(flow, step, event("leftovers.exit", { pidFile, setsid }));
    expect(run.result).toEqual({ status: "completed", message: "left sleep running" });
    const left = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => (isAlive(left) ? undefined : true), 5_000);
  });

  test("a timeout also ends a setsid grandchild that holds the step's stdout", async () => {
    const pidFile = join(tempDir(), "left.pid");
    const flow = findFlow(flows, "leftovers");
    const step = flow?.steps.find((candidate) => candidate.name === "hang");
    if (!flow || !step) throw new Error("fixture flow leftovers missing");
    const run = await runStep(flow, step, event("leftovers.hang", { pidFile, setsid: true }));
    expect(run.result).toEqual({
      status: "failed",
      message: expect.stringMatching(/^timed out after 1500 ms \(raise/),
    });
    const left = Number(readFileSync(pidFile, "utf8"));
    await waitFor(() => (isAlive(left) ? undefined : true), 5_000);
  });

  test("CODEX_FLOWS_BUN pointing nowhere is a clear failure naming the variable", async () => {
    const { flow, step } = flowStep("status-completed");
    const run = await runStep(flow, step, event("status.completed"), {
      env: { ...process.env, CODEX_FLOWS_BUN: "/nonexistent/bun" },
    });
    expect(run.result).toEqual({
      status: "failed",
      message:
        'CODEX_FLOWS_BUN points at "/nonexistent/bun", which is not an executable file (set CODEX_FLOWS_BUN to the path of a bun binary, or unset it to search PATH)',
    });
  });

  test("through the CLI, a missing Bun fails the step with exit code 1 and says how to fix it", async () => {
    const file = writeEvent(tempDir(), { id: "nobun", type: "status.completed" });
    const result = await runCli(["run", "status-completed", "main", "--cwd", project, "--event", file, "--json"], {
      env: { CODEX_FLOWS_BUN: "/nonexistent/bun" },
    });
    expect(result.code).toBe(1);
    expect(jsonOf<{ result: { message: string } }>(result).result.message).toContain("CODEX_FLOWS_BUN");
  });
});

test("CODEX_FLOWS_BUN may be relative to where codex-flows starts, or a bare name on PATH", async () => {
  const file = writeEvent(tempDir(), { id: "rel", type: "status.completed" });
  const args = ["run", "status-completed", "main", "--cwd", project, "--event", file, "--json"];
  const relative = await runCli(args, { env: { CODEX_FLOWS_BUN: "node_modules/.bin/bun" } });
  expect(jsonOf<{ status: string }>(relative).status).toBe("completed");
  const bare = await runCli(args, {
    env: { CODEX_FLOWS_BUN: "bun", PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` },
  });
  expect(jsonOf<{ status: string }>(bare).status).toBe("completed");
});
