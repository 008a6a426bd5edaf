// `backend logs [-f]`, `dispatch --wait` and `replay-event --wait` against a real service: output printed live, exit codes, chains, Ctrl-C.
import { spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { api, type Backend, cleanEnv, eventually, startBackend, tempDir } from "./backend-helpers.js";
import { CLI, copyFixture, writeEvent } from "./helpers.js";

/** The CLI as a live process: its output so far can be read while it runs. */
function liveCli(url: string, args: string[]) {
  const child = spawn(process.execPath, [CLI, "backend", ...args, "--url", url], {
    env: cleanEnv({ NO_COLOR: "1" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    running: () => child.exitCode === null && child.signalCode === null,
  };
}

const liveBackend = () => startBackend({ project: copyFixture("live-output") });

async function post(backend: Backend, id: string, type: string, payload: Record<string, unknown>) {
  const { status, body } = await api(backend.url, "POST", "/events", { id, type, payload });
  expect(status).toBe(202);
  return body.runIds[0] as string;
}

const runStatus = async (backend: Backend, runId: string) =>
  (await api(backend.url, "GET", `/runs/${runId}`)).body.run.status as string;

describe("backend logs", () => {
  test("-f prints output while the step runs (stdout lines to stdout, stderr to stderr) and exits with the run's code", async () => {
    const backend = await liveBackend();
    const gate = join(tempDir(), "gate");
    const runId = await post(backend, "tick-1", "live.tick", { lines: 3, gate });
    const logs = liveCli(backend.url, ["logs", runId, "-f"]);
    await eventually(() => logs.stdout().includes("[live/tick] attempt 1 line 0\n"), 20_000, "the first line");
    await eventually(() => logs.stderr().includes("[live/tick] attempt 1 line 2\n"), 20_000, "the stderr line");
    expect(existsSync(gate)).toBe(false);
    expect(logs.running()).toBe(true);
    expect(logs.stdout()).not.toContain("line 2");
    writeFileSync(gate, "");
    expect(await logs.exited).toBe(0);
    // The FLOW_RESULT line is not echoed; the end is said on stderr.
    expect(logs.stdout()).not.toContain("FLOW_RESULT");
    expect(logs.stderr()).toMatch(/>> live\/tick completed \[completed\]/);

    // Without -f: the stored output, and the finished run's code.
    const stored = liveCli(backend.url, ["logs", runId]);
    expect(await stored.exited).toBe(0);
    expect(stored.stdout()).toBe("[live/tick] attempt 1 line 0\n[live/tick] attempt 1 line 1\n");
    expect(stored.stderr()).toBe("[live/tick] attempt 1 line 2\n");

    const blockedId = await post(backend, "tick-blocked", "live.tick", { lines: 1, result: "needs_intervention" });
    const blocked = liveCli(backend.url, ["logs", blockedId, "-f"]);
    expect(await blocked.exited).toBe(3);
    expect(blocked.stderr()).toMatch(/>> live\/tick completed \[needs_intervention\]/);

    const failedId = await post(backend, "tick-fail", "live.tick", { lines: 1, fail: true });
    const failed = liveCli(backend.url, ["logs", failedId, "--follow"]);
    expect(await failed.exited).toBe(1);
    expect(failed.stderr()).toContain("[live/tick] attempt 1 fails on purpose");
    expect(failed.stderr()).toMatch(/>> live\/tick failed/);

    const unknown = liveCli(backend.url, ["logs", "run_nope"]);
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr()).toMatch(/no run with id "run_nope"/);
  });

  test("with a secret set, -f signs its stream requests; without the secret it is refused", async () => {
    const backend = await startBackend({
      project: copyFixture("live-output"),
      env: { CODEX_FLOW_BACKEND_SECRET: "logs-secret" },
    });
    const { body } = await api(
      backend.url,
      "POST",
      "/events",
      { id: "signed", type: "live.tick", payload: { lines: 1 } },
      { secret: "logs-secret" },
    );
    const runId = body.runIds[0] as string;
    const signed = liveCli(backend.url, ["logs", runId, "-f", "--secret", "logs-secret"]);
    expect(await signed.exited).toBe(0);
    expect(signed.stdout()).toBe("[live/tick] attempt 1 line 0\n");
    const unsigned = liveCli(backend.url, ["logs", runId, "-f"]);
    expect(await unsigned.exited).toBe(1);
    expect(unsigned.stderr()).toMatch(/missing x-flow-signature-256/);
  });

  test("Ctrl-C stops following with exit 130 and leaves the run running", async () => {
    const backend = await liveBackend();
    const gate = join(tempDir(), "gate");
    const runId = await post(backend, "tick-int", "live.tick", { lines: 1, gate });
    const logs = liveCli(backend.url, ["logs", runId, "-f"]);
    await eventually(() => logs.stdout().includes("attempt 1 line 0"), 20_000, "the first line");
    logs.child.kill("SIGINT");
    expect(await logs.exited).toBe(130);
    expect(await runStatus(backend, runId)).toBe("running");
    writeFileSync(gate, "");
    await eventually(async () => (await runStatus(backend, runId)) === "completed", 20_000, "the run to complete");
  });
});

describe("backend logs -f across a restart", () => {
  test("a stream cut by the service stopping is picked up again where it stopped, and follows the retry", async () => {
    const first = await startBackend({ project: copyFixture("live-output"), args: ["--grace-ms", "300"] });
    const port = new URL(first.url).port;
    const gate = join(tempDir(), "gate");
    const runId = await post(first, "restart", "live.retry", { lines: 1, gate });
    const logs = liveCli(first.url, ["logs", runId, "-f"]);
    await eventually(() => logs.stdout().includes("attempt 1 line 0"), 20_000, "attempt 1's output");
    // The step is interrupted by the stop and queued for its retry; the follower waits for the service.
    expect(await first.stop("SIGTERM")).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(logs.running()).toBe(true);
    writeFileSync(gate, "");
    await startBackend({ project: first.project, args: ["--port", port, "--retry-backoff-ms", "0"] });
    expect(await logs.exited).toBe(0);
    expect(logs.stdout()).toBe("[live/retry] attempt 1 line 0\n[live/retry] attempt 2 line 0\n");
    expect(logs.stderr()).toContain(">> live/retry attempt 2\n");
    expect(logs.stderr()).toMatch(/>> live\/retry completed/);
  });
});

describe("--wait streams output and waits for chained runs", () => {
  test("dispatch --wait prints the output live and exits with the run's code", async () => {
    const backend = await liveBackend();
    const dir = tempDir();
    const gate = join(dir, "gate");
    const wait = liveCli(backend.url, [
      "dispatch",
      "--event",
      writeEvent(dir, { id: "wait-live", type: "live.tick", payload: { lines: 2, gate } }),
      "--wait",
    ]);
    await eventually(() => wait.stderr().includes("[live/tick] attempt 1 line 0\n"), 20_000, "the first line");
    expect(wait.running()).toBe(true);
    expect(wait.stdout()).toContain("accepted event wait-live: 1 run(s) queued");
    writeFileSync(gate, "");
    expect(await wait.exited).toBe(0);
    expect(wait.stdout()).toMatch(/live\/tick {2}completed \[completed\]/);
  });

  test("a chained run that fails fails dispatch --wait; a chain that succeeds exits 0", async () => {
    const backend = await liveBackend();
    const dir = tempDir();
    const failing = liveCli(backend.url, [
      "dispatch",
      "--event",
      writeEvent(dir, { id: "chain-bad", type: "live.chain", payload: { lines: 1, fail: true } }, "bad.json"),
      "--wait",
    ]);
    expect(await failing.exited).toBe(1);
    expect(failing.stderr()).toContain("[live/start] starting the chain");
    expect(failing.stderr()).toContain("[live/finish] attempt 1 line 0");
    expect(failing.stdout()).toMatch(/live\/start {2}completed \[completed\]/);
    expect(failing.stdout()).toMatch(/next: \S+ {2}live\/finish {2}failed/);

    const passing = liveCli(backend.url, [
      "dispatch",
      "--event",
      writeEvent(dir, { id: "chain-ok", type: "live.chain", payload: { lines: 1 } }, "ok.json"),
      "--wait",
      "--json",
    ]);
    expect(await passing.exited).toBe(0);
    const report = JSON.parse(passing.stdout());
    expect(report.runs.map((run: { step: string; status: string }) => [run.step, run.status])).toEqual([
      ["start", "completed"],
    ]);
    expect(report.chainedRuns.map((run: { step: string; status: string }) => [run.step, run.status])).toEqual([
      ["finish", "completed"],
    ]);

    // A chained step that needs a person makes it 3, as `fire` would.
    const blocked = liveCli(backend.url, [
      "dispatch",
      "--event",
      writeEvent(dir, { id: "chain-blocked", type: "live.chain", payload: { lines: 1, result: "blocked" } }, "b.json"),
      "--wait",
    ]);
    expect(await blocked.exited).toBe(3);
    expect(blocked.stdout()).toMatch(/next: \S+ {2}live\/finish {2}completed \[blocked\]/);
  });

  test("replay-event --wait follows only the replay's chain; --quiet prints no output", async () => {
    const backend = await liveBackend();
    await post(backend, "chain-replayed", "live.chain", { lines: 1, fail: true });
    await eventually(
      async () => {
        const { body } = await api(backend.url, "GET", "/runs?status=failed");
        return body.runs.length === 1;
      },
      20_000,
      "the first chain to fail",
    );
    const replay = liveCli(backend.url, ["replay-event", "chain-replayed", "--wait", "--quiet"]);
    expect(await replay.exited).toBe(1);
    expect(replay.stderr()).toBe("");
    // One chained run (the replay's), not the first dispatch's as well.
    expect(replay.stdout().match(/next: /g)).toHaveLength(1);
    expect(replay.stdout()).toMatch(/replay-1/);
  });
});
