// The smoke flow: a non-release event that checks what the release flows need on a host, each check an artifact.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fakeServer } from "./code-mode-helpers.js";
import { runCli, tempDir, writeEvent } from "./helpers.js";
import { BINDINGS, CODEX, olderCheckout } from "./release-bindings-helpers.js";
import { BRANCH, forkWorld } from "./release-fork-helpers.js";
import { releaseEnv, releaseProject } from "./release-helpers.js";

interface Probe {
  ok: boolean;
  detail: string;
}

async function smoke(env: NodeJS.ProcessEnv) {
  const project = releaseProject(["smoke"]);
  const event = writeEvent(tempDir("codex-flows-event-"), {
    id: "smoke-1",
    type: "codex-flows.smoke",
    payload: { reason: "test" },
  });
  const answer = await runCli(["fire", "--event", event, "--json", "--cwd", project], { env });
  const report = JSON.parse(answer.stdout) as {
    runs: { status: string; result: { message: string; artifacts: Record<string, Probe> } }[];
  };
  expect(report.runs, answer.stderr).toHaveLength(1);
  return { code: answer.code, run: report.runs[0] as (typeof report.runs)[number] };
}

describe("smoke", () => {
  test("a healthy host: completed, every check ok with what it found", async () => {
    const bindings = olderCheckout();
    const fork = forkWorld();
    const server = fakeServer();
    const dataDir = join(tempDir("codex-flows-data-"), "state");
    const { code, run } = await smoke(
      releaseEnv({
        ...server.env,
        CODEX_FLOW_BINDINGS_REPO: bindings.repo,
        CODEX_FLOW_BINDINGS_CODEX_COMMAND: CODEX,
        PEEZY_CODEX_REPO: fork.fork,
        PEEZY_CODEX_TARGET_BRANCH: BRANCH,
        CODEX_FLOW_BACKEND_DATA_DIR: dataDir,
      }),
    );
    expect(run.status, run.result.message).toBe("completed");
    expect(code).toBe(0);
    expect(run.result.message).toBe("all 8 release-host checks pass (test)");
    const checks = run.result.artifacts;
    expect(Object.keys(checks).sort()).toEqual(
      [
        "appServer",
        "bindingsCheckout",
        "bindingsCodex",
        "bun",
        "codeModeGate",
        "dataDir",
        "forkCheckout",
        "git",
      ].sort(),
    );
    for (const probe of Object.values(checks)) expect(probe.ok, probe.detail).toBe(true);
    expect(checks.bun?.detail).toMatch(/^Bun \d+\.\d+/);
    expect(checks.git?.detail).toMatch(/^git version /);
    expect(checks.bindingsCheckout?.detail).toContain(`${BINDINGS} in ${bindings.repo} is clean`);
    expect(checks.bindingsCodex?.detail).toContain(`${CODEX} (CODEX_FLOW_BINDINGS_CODEX_COMMAND)`);
    expect(checks.forkCheckout?.detail).toContain(`branch ${BRANCH} present`);
    expect(checks.appServer?.detail).toContain(server.command);
    expect(checks.dataDir?.detail).toContain(`${dataDir} (CODEX_FLOW_BACKEND_DATA_DIR) is writable`);
  });

  test("a host that is not ready: failed, naming each check that fails and why", async () => {
    const fork = forkWorld();
    writeFileSync(join(fork.fork, "patches", "a.txt"), "work in progress\n");
    const notADir = join(tempDir("codex-flows-data-"), "a-file");
    writeFileSync(notADir, "");
    const { code, run } = await smoke(
      releaseEnv({
        CODEX_FLOWS_MODE: "",
        CODEX_FLOWS_ENABLE_CODE_MODE: "",
        CODEX_APP_SERVER_CODEX_COMMAND: "/nonexistent/codex",
        CODEX_APP_SERVER_CODEX_PACKAGE: "",
        CODEX_FLOW_BINDINGS_REPO: join(tempDir("codex-flows-missing-"), "nowhere"),
        CODEX_FLOW_BINDINGS_CODEX_COMMAND: "no-such-codex-command app-server",
        PEEZY_CODEX_REPO: fork.fork,
        PEEZY_CODEX_TARGET_BRANCH: "no-such-branch",
        CODEX_FLOW_BACKEND_DATA_DIR: join(notADir, "state"),
      }),
    );
    expect(run.status).toBe("failed");
    expect(code).toBe(1);
    const checks = run.result.artifacts;
    const failing = Object.entries(checks)
      .filter(([, probe]) => !probe.ok)
      .map(([name]) => name)
      .sort();
    expect(failing).toEqual([
      "appServer",
      "bindingsCheckout",
      "bindingsCodex",
      "codeModeGate",
      "dataDir",
      "forkCheckout",
    ]);
    expect(checks.bun?.ok).toBe(true);
    expect(checks.bindingsCheckout?.detail).toContain("does not exist");
    expect(checks.bindingsCodex?.detail).toContain("no-such-codex-command not found");
    expect(checks.forkCheckout?.detail).toContain("has uncommitted changes");
    expect(checks.forkCheckout?.detail).toContain("patches/a.txt");
    expect(checks.codeModeGate?.detail).toContain("set CODEX_FLOWS_MODE=code-mode");
    expect(checks.appServer?.detail).toContain("/nonexistent/codex not found");
    expect(checks.dataDir?.detail).toContain("is not writable: ENOTDIR");
    expect(run.result.message).toMatch(/^6 release-host check\(s\) fail: /);
  });
});
