// code-mode steps through the built CLI: run (exit codes, streamed output), and list/check with the gate closed.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { APP_SERVER_ARGS } from "../runners/code-mode/app-server-command.js";
import { cleanEnv, fakeServer, PROJECT, readLog } from "./code-mode-helpers.js";
import { jsonOf, runCli } from "./helpers.js";
import { isAlive } from "./process-helpers.js";

const FLOW = "code-mode-demo";
const event = (name: string) => join(PROJECT, "flows", FLOW, "events", `${name}.json`);

interface RunReport {
  status: string;
  result: { status: string; message?: string; artifacts?: Record<string, unknown> };
}

describe("codex-flows run", () => {
  test("a completed code-mode step exits 0, with its agent output streamed to stderr", async () => {
    const server = fakeServer();
    const run = await runCli(["run", FLOW, "succeed", "--event", event("demo"), "--json"], {
      cwd: PROJECT,
      env: server.env,
    });
    expect(run.code).toBe(0);
    expect(jsonOf<RunReport>(run).result).toEqual({
      status: "completed",
      message: "the word was hello",
      artifacts: { event: "evt-code-mode-1" },
    });
    expect(run.stderr).toContain(`[${FLOW}/succeed] hello from ${FLOW}/succeed (config label demo)`);
    expect(run.stderr).toContain(`[${FLOW}/succeed] fake app-server: running`);
  });

  test("a blocked step exits 3", async () => {
    const run = await runCli(["run", FLOW, "blocked", "--event", event("blocked"), "--json"], {
      cwd: PROJECT,
      env: fakeServer().env,
    });
    expect(run.code).toBe(3);
    expect(jsonOf<RunReport>(run).result).toEqual({
      status: "blocked",
      message: "rebase conflict in codex-rs/core/src/lib.rs",
    });
  });

  test("a turn without a result exits 1 and says so", async () => {
    const run = await runCli(["run", FLOW, "no-result", "--event", event("no-result")], {
      cwd: PROJECT,
      env: fakeServer().env,
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`xx ${FLOW}/no-result failed`);
    expect(run.stdout).toContain('the Code Mode turn completed without a "FLOW_RESULT {json}" line');
  });

  test("a server that never answers times out at the step's timeout_ms and leaves no process behind", async () => {
    const server = fakeServer("hang");
    const run = await runCli(["run", FLOW, "slow", "--event", event("slow"), "--json"], {
      cwd: PROJECT,
      env: server.env,
    });
    expect(run.code).toBe(1);
    expect(jsonOf<RunReport>(run).result).toEqual({
      status: "failed",
      message: expect.stringMatching(/^timed out after 1500 ms \(raise steps\[\d+\]\.timeout_ms in .*flow\.toml/),
    });
    const pids = readLog(server.log).flatMap((entry) => (entry.pid === undefined ? [] : [entry.pid]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  test("with the gate closed the step fails naming the variable, and no app-server starts", async () => {
    const server = fakeServer();
    const run = await runCli(["run", FLOW, "succeed", "--event", event("demo"), "--json"], {
      cwd: PROJECT,
      env: { ...server.env, CODEX_FLOWS_MODE: "" },
    });
    expect(run.code).toBe(1);
    expect(jsonOf<RunReport>(run).result.message).toContain("set CODEX_FLOWS_MODE=code-mode");
    expect(readLog(server.log)).toEqual([]);
  });
});

interface ListReport {
  flows: {
    name: string;
    steps: { name: string; runner: string; gated?: boolean; gatedReason?: string; appServer?: unknown }[];
  }[];
}

describe("codex-flows list and check", () => {
  const args = [...APP_SERVER_ARGS];

  test("list --json marks code-mode steps gated and shows the app-server the default would start", async () => {
    const list = await runCli(["list", "--json"], { cwd: PROJECT, env: cleanEnv() });
    expect(list.code).toBe(0);
    const steps = jsonOf<ListReport>(list).flows.find((flow) => flow.name === FLOW)?.steps ?? [];
    expect(steps.map((step) => step.name)).toEqual(["succeed", "blocked", "no-result", "slow"]);
    for (const step of steps) {
      expect(step).toMatchObject({
        runner: "code-mode",
        gated: true,
        appServer: { command: "codex", args, chosenBy: "default" },
      });
      expect(step.gatedReason).toContain("set CODEX_FLOWS_MODE=code-mode");
    }
  });

  test("list --json in Code Mode: not gated, and bunx @peezy.tech/codex", async () => {
    const list = await runCli(["list", "--json"], { cwd: PROJECT, env: cleanEnv({ CODEX_FLOWS_MODE: "code-mode" }) });
    const step = jsonOf<ListReport>(list).flows[0]?.steps[0];
    expect(step).toMatchObject({
      gated: false,
      appServer: { command: "bunx", args: ["@peezy.tech/codex", ...args], chosenBy: "CODEX_FLOWS_MODE" },
    });
    expect(step).not.toHaveProperty("gatedReason");
  });

  test("list in words shows the gate and the command", async () => {
    const list = await runCli(["list"], {
      cwd: PROJECT,
      env: cleanEnv({ CODEX_APP_SERVER_CODEX_COMMAND: "/opt/codex/bin/codex" }),
    });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("  succeed  runner=code-mode  on code-mode.demo  [gated]");
    expect(list.stdout).toContain(
      "\nnote: code-mode: gated: code-mode steps are disabled: set CODEX_FLOWS_MODE=code-mode",
    );
    expect(list.stdout).toContain(
      `\nnote: code-mode: app-server: /opt/codex/bin/codex ${args.join(" ")} (CODEX_APP_SERVER_CODEX_COMMAND=/opt/codex/bin/codex)\n`,
    );
  });

  test("check passes with the gate closed, noting the gate and the command for each step", async () => {
    const check = await runCli(["check", "--json"], {
      cwd: PROJECT,
      env: cleanEnv({ CODEX_APP_SERVER_CODEX_PACKAGE: "@acme/codex" }),
    });
    expect(check.code).toBe(0);
    const report = jsonOf<{ ok: boolean; notes: string[] }>(check);
    expect(report.ok).toBe(true);
    expect(report.notes).toContain(
      `${FLOW}/succeed: gated: code-mode steps are disabled: set CODEX_FLOWS_MODE=code-mode, or CODEX_FLOWS_ENABLE_CODE_MODE=1 to enable only this runner`,
    );
    expect(report.notes).toContain(
      `code-mode: app-server: bunx @acme/codex ${args.join(" ")} (CODEX_APP_SERVER_CODEX_PACKAGE=@acme/codex)`,
    );
  });
});
