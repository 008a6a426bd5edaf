// The systemd-run executor, against stand-in systemd-run/systemctl scripts first on PATH (no systemd here).
import { readFileSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, expect, test } from "vitest";
import { eventFilePath } from "../src/store/event-files.js";
import { api, eventually, finishedRuns, processGone, slowPids, startBackend, tempDir } from "./backend-helpers.js";
import { CLI, FIXTURES } from "./helpers.js";

const SECRET = "systemd-secret-9c2e";

function logLines(path: string): string[][] {
  try {
    return readFileSync(path, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } catch {
    return [];
  }
}

async function systemdBackend() {
  const logs = tempDir();
  const runLog = join(logs, "systemd-run.log");
  const ctlLog = join(logs, "systemctl.log");
  const backend = await startBackend({
    args: ["--executor", "systemd-run"],
    env: {
      PATH: `${join(FIXTURES, "backend-systemd-bin")}${delimiter}${process.env.PATH}`,
      SYSTEMD_RUN_LOG: runLog,
      SYSTEMCTL_LOG: ctlLog,
      CODEX_FLOW_BACKEND_SECRET: SECRET,
      FLOW_TEST_VARIABLE: "forwarded",
    },
  });
  return { backend, runLog, ctlLog };
}

describe("systemd-run executor", () => {
  test("wraps each step in systemd-run --user --wait --collect with a per-run unit and forwarded variables", async () => {
    const { backend, runLog } = await systemdBackend();
    const accepted = await api(
      backend.url,
      "POST",
      "/events",
      { id: "sd-1", type: "demo.echo", payload: { message: "unit" } },
      { secret: SECRET },
    );
    expect(accepted.status).toBe(202);
    const runs = await finishedRuns(backend.url, "sd-1", 2, { secret: SECRET });
    expect(runs.map((run) => [run.step, run.status, run.resultStatus])).toEqual([
      ["say", "completed", "completed"],
      ["shout", "completed", "changed"],
    ]);
    const { body } = await api(backend.url, "GET", `/runs/${runs[0]?.id}`, undefined, { secret: SECRET });
    const output = body.run.output.map((chunk: { text: string }) => chunk.text).join("");
    expect(output).toContain("said: unit");
    expect(output).toContain(`note: run ${runs[0]?.id} attempt 1`);
    expect(body.run.result.artifacts).toEqual({ secretVisible: false });

    const calls = logLines(runLog);
    expect(calls).toHaveLength(2);
    const call = calls.find((args) => args.includes(`--unit=codex-flow-${runs[0]?.id}-1`)) as string[];
    expect(call.slice(0, 5)).toEqual(["--user", "--wait", "--collect", "--pipe", "--quiet"]);
    expect(call).toContain(`--working-directory=${backend.project}`);
    expect(call).toContain(`--setenv=CODEX_FLOW_RUN_ID=${runs[0]?.id}`);
    expect(call).toContain("--setenv=CODEX_FLOW_EVENT_ID=sd-1");
    expect(call).toContain("--setenv=CODEX_FLOW_ATTEMPT=1");
    expect(call).toContain("--setenv=PATH");
    expect(call).toContain("--setenv=FLOW_TEST_VARIABLE");
    expect(call.some((arg) => arg.includes("CODEX_FLOW_BACKEND_"))).toBe(false);
    expect(call.join(" ")).not.toContain(SECRET);
    expect(call.join(" ")).not.toContain("forwarded");
    const command = call.slice(call.indexOf("--") + 1);
    expect(command.slice(0, 4)).toEqual([process.execPath, CLI, "backend", "exec-step"]);
    expect(command).toEqual(expect.arrayContaining(["--flow", "echo", "--step", "say", "--cwd", backend.project]));
    expect(backend.stderr()).not.toContain(SECRET);
  });

  test("cancel stops the unit with systemctl --user stop and the run is canceled", async () => {
    const { backend, ctlLog } = await systemdBackend();
    const pidFile = join(tempDir(), "pids.json");
    const accepted = await api(
      backend.url,
      "POST",
      "/events",
      { id: "sd-slow", type: "demo.slow", payload: { pidFile } },
      { secret: SECRET },
    );
    const runId = accepted.body.runIds[0];
    const pids = await slowPids(pidFile);
    const canceled = await api(backend.url, "POST", `/runs/${runId}/cancel`, {}, { secret: SECRET });
    expect(canceled.body.run).toMatchObject({ status: "canceled" });
    expect(logLines(ctlLog)).toContainEqual(["--user", "stop", `codex-flow-${runId}-1`]);
    await eventually(
      () => processGone(pids.step) && processGone(pids.grandchild),
      10_000,
      "the unit's processes to die",
    );
  });

  test("an event file left empty (a power loss after its rename) is rewritten before the unit reads it", async () => {
    const { backend } = await systemdBackend();
    const event = { id: "sd-torn", type: "demo.echo", payload: { message: "whole" } };
    await api(backend.url, "POST", "/events", event, { secret: SECRET });
    await finishedRuns(backend.url, "sd-torn", 2, { secret: SECRET });
    writeFileSync(eventFilePath(backend.dataDir, "sd-torn"), "");
    const replay = await api(backend.url, "POST", "/events/sd-torn/replay", { wait: true }, { secret: SECRET });
    expect(replay.body.runs.map((run: { status: string }) => run.status)).toEqual(["completed", "completed"]);
    expect(JSON.parse(readFileSync(eventFilePath(backend.dataDir, "sd-torn"), "utf8"))).toMatchObject(event);
  });
});
