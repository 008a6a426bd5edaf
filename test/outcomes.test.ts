// Step outcomes through the built CLI: every FLOW_RESULT status, each way a step can fail, and exit codes.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { FIXTURES, jsonOf, runCli, tempDir, writeEvent } from "./helpers.js";

const project = join(FIXTURES, "outcomes");

interface RunJson {
  flow: string;
  step: string;
  status: string;
  result: { status: string; message?: string };
  durationMs: number;
}

async function runOne(flow: string, type: string, extraArgs: string[] = []) {
  const event = writeEvent(tempDir(), { id: `${flow}-1`, type, payload: {} });
  const result = await runCli(["run", flow, "main", "--cwd", project, "--event", event, "--json", ...extraArgs]);
  return { result, run: jsonOf<RunJson>(result) };
}

describe("statuses and exit codes of `run`", () => {
  test.each([
    ["completed", 0],
    ["changed", 0],
    ["skipped", 0],
    ["blocked", 3],
    ["needs_intervention", 3],
    ["failed", 1],
  ])("%s exits %i", async (status, code) => {
    const { result, run } = await runOne(`status-${status.replace("_", "-")}`, `status.${status}`);
    expect(result.code).toBe(code);
    expect(run).toMatchObject({ flow: `status-${status.replace("_", "-")}`, step: "main", status });
    expect(run.result).toEqual({ status, message: `reported ${status}` });
    expect(run.durationMs).toBeGreaterThan(0);
  });
});

describe("failures name their cause and keep the stderr tail", () => {
  test("non-zero exit without a result", async () => {
    const { result, run } = await runOne("exit-nonzero", "outcome.exit");
    expect(result.code).toBe(1);
    expect(run.status).toBe("failed");
    expect(run.result.message).toMatch(/^step exited with code 3\n--- stderr \(last lines\) ---\n/);
    expect(run.result.message).toContain("first stderr line\nlast words before exit");
  });

  test("non-zero exit after printing completed is still a failure", async () => {
    const { run } = await runOne("exit-after-result", "outcome.exit-after-result");
    expect(run.status).toBe("failed");
    expect(run.result.message).toBe("step exited with code 1: said completed");
  });

  test("no FLOW_RESULT line", async () => {
    const { result, run } = await runOne("no-result", "outcome.no-result");
    expect(result.code).toBe(1);
    expect(run.result.message).toBe(
      'step printed no "FLOW_RESULT {json}" line on stdout (wrap the script in `await defineStep((ctx) => ({ status: "completed" }))` from "codex-flows/step")\n--- stderr (last lines) ---\nbut forgot the result',
    );
  });

  test("FLOW_RESULT that is not JSON", async () => {
    const { run } = await runOne("bad-json", "outcome.bad-json");
    expect(run.status).toBe("failed");
    expect(run.result.message).toMatch(/^FLOW_RESULT line is not valid JSON \(/);
  });

  test("FLOW_RESULT with an unknown status", async () => {
    const { run } = await runOne("bad-status", "outcome.bad-status");
    expect(run.status).toBe("failed");
    expect(run.result.message).toBe(
      'FLOW_RESULT is not a valid result: /status: must be equal to one of the allowed values ("skipped", "completed", "changed", "needs_intervention", "blocked", "failed")',
    );
  });

  test("the last FLOW_RESULT line wins; a mention mid-line does not count", async () => {
    const { result, run } = await runOne("last-wins", "outcome.last-wins");
    expect(result.code).toBe(0);
    expect(run.result).toEqual({ status: "changed", message: "final" });
  });
});

describe("`fire` exit codes", () => {
  async function fireTypes(...types: string[]) {
    const dir = tempDir();
    const codes: (number | null)[] = [];
    for (const type of types) {
      codes.push((await runCli(["fire", "--cwd", project, "--event", writeEvent(dir, { id: type, type })])).code);
    }
    return codes;
  }

  test("0 for success, 1 for failure, 3 for attention, 0 when nothing matched", async () => {
    expect(await fireTypes("status.completed", "status.failed", "status.blocked", "nobody.listens")).toEqual([
      0, 1, 3, 0,
    ]);
  });

  test("human output: one line per run, reasons for non-matches on request", async () => {
    const dir = tempDir();
    const event = writeEvent(dir, { id: "dry", type: "status.changed" });
    const dry = await runCli(["fire", "--cwd", project, "--event", event, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("event dry (status.changed): 1 step(s) would run");
    expect(dry.stdout).toContain(">> status-changed/main would run");
    expect(dry.stdout).toContain(
      '   status-blocked/main not run: type differs: event is "status.changed", step wants "status.blocked"',
    );
    expect(dry.stderr).toBe("");
  });
});
