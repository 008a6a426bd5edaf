// The `codex-flows backend` client commands against a real service: output, --json, --wait exit codes, errors.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { api, finishedRuns, startBackend } from "./backend-helpers.js";
import { runCli, tempDir, writeEvent } from "./helpers.js";

const cli = (url: string, ...args: string[]) => runCli(["backend", ...args, "--url", url]);

describe("backend CLI", () => {
  test("dispatch --wait exits with the core exit codes: 0 done, 3 blocked, 1 failed", async () => {
    const backend = await startBackend();
    const dir = tempDir();
    const ok = await cli(
      backend.url,
      "dispatch",
      "--event",
      writeEvent(dir, { id: "ok", type: "demo.echo", payload: { message: "cli" } }, "ok.json"),
      "--wait",
    );
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/accepted event ok: 2 run\(s\) queued/);
    expect(ok.stdout).toMatch(/echo\/say {2}completed \[completed\]/);
    expect(ok.stdout).toMatch(/echo\/shout {2}completed \[changed\]/);

    const blocked = await cli(
      backend.url,
      "dispatch",
      "--event",
      writeEvent(dir, { id: "b", type: "demo.blocked" }, "b.json"),
      "--wait",
      "--json",
    );
    expect(blocked.code).toBe(3);
    expect(JSON.parse(blocked.stdout)).toMatchObject({ status: "accepted", runs: [{ resultStatus: "blocked" }] });

    const failed = await cli(
      backend.url,
      "dispatch",
      "--event",
      writeEvent(dir, { id: "f", type: "demo.fail" }, "f.json"),
      "--wait",
    );
    expect(failed.code).toBe(1);

    const duplicate = await cli(backend.url, "dispatch", "--event", `${dir}/ok.json`);
    expect(duplicate.code).toBe(0);
    expect(duplicate.stdout).toMatch(/duplicate event ok: already stored; existing run\(s\): 2/);

    const bad = await cli(backend.url, "dispatch", "--event", writeEvent(dir, { type: "x" }, "bad.json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json/);
  });

  test("list-events, show-event, list-runs, show-run, replay-event --wait and cancel-run", async () => {
    const backend = await startBackend();
    const odd = "patchbay:source:entry:upstream.release";
    await api(backend.url, "POST", "/events", { id: odd, type: "demo.echo", payload: { message: "seen" } });
    await api(backend.url, "POST", "/events", { id: "other", type: "demo.blocked" });
    const [say] = await finishedRuns(backend.url, odd, 2);
    await finishedRuns(backend.url, "other", 1);

    const listed = await cli(backend.url, "list-events", "--limit", "20");
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split("\n")).toHaveLength(2);
    expect(listed.stdout).toMatch(new RegExp(`${odd}  demo\\.echo  2 run\\(s\\)`));
    const typed = await cli(backend.url, "list-events", "--type", "demo.blocked", "--json");
    expect(JSON.parse(typed.stdout).events.map((e: { id: string }) => e.id)).toEqual(["other"]);

    const shown = await cli(backend.url, "show-event", odd);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/event patchbay:source:entry:upstream\.release \(demo\.echo\)/);
    expect(shown.stdout).toMatch(/runs \(2\):/);
    expect(shown.stdout).toMatch(/attention\/review not run: type differs/);

    const failedOnly = await cli(backend.url, "list-runs", "--status", "failed", "--limit", "20");
    expect(failedOnly.stdout.trim()).toBe("no runs match");
    const blocked = await cli(backend.url, "list-runs", "--result", "blocked", "--json");
    expect(JSON.parse(blocked.stdout).runs.map((r: { eventId: string }) => r.eventId)).toEqual(["other"]);
    const ofEvent = await cli(backend.url, "list-runs", "--event-id", odd, "--json");
    expect(JSON.parse(ofEvent.stdout).runs).toHaveLength(2);

    const run = await cli(backend.url, "show-run", say?.id);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/echo\/say completed \[completed\]/);
    expect(run.stdout).toMatch(/#1 completed on local:/);
    expect(run.stdout).toMatch(/\| said: seen/);

    const replay = await cli(backend.url, "replay-event", odd, "--wait");
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(/replay 1 of event patchbay:source:entry:upstream\.release: 2 run\(s\) queued/);
    const replayBlocked = await cli(backend.url, "replay-event", "other", "--wait", "--json");
    expect(replayBlocked.code).toBe(3);
    expect(JSON.parse(replayBlocked.stdout).runs).toMatchObject([{ replay: 1, resultStatus: "blocked" }]);

    const finished = await cli(backend.url, "cancel-run", say?.id);
    expect(finished.code).toBe(1);
    expect(finished.stderr).toMatch(/already completed/);

    const missing = await cli(backend.url, "show-event", "nope");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no event with id "nope"/);
    const missingRun = await cli(backend.url, "show-run", "run_nope");
    expect(missingRun.code).toBe(1);
  });

  test("a service that is not running gets one clear line naming where the CLI looked", async () => {
    const result = await runCli(["backend", "list-events"], {
      env: { CODEX_FLOW_BACKEND_URL: "", CODEX_FLOW_BACKEND_HOST: "127.0.0.1", CODEX_FLOW_BACKEND_PORT: "9" },
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no codex-flows backend is answering at http:\/\/127\.0\.0\.1:9 .*backend serve/);
  });

  test("backup and exec-step ignore settings only `serve` reads (host, port, executor, ...)", async () => {
    const backend = await startBackend();
    await api(backend.url, "POST", "/events", { id: "kept", type: "demo.blocked" });
    await finishedRuns(backend.url, "kept", 1);
    const serveOnly = {
      CODEX_FLOW_BACKEND_HOST: "0.0.0.0",
      CODEX_FLOW_BACKEND_PORT: "abc",
      CODEX_FLOW_BACKEND_EXECUTOR: "docker",
      CODEX_FLOW_BACKEND_CONCURRENCY: "-1",
      CODEX_FLOW_BACKEND_SECRET: "",
    };
    const dir = tempDir();
    const backup = await runCli(
      ["backend", "backup", "--out", join(dir, "backup"), "--cwd", backend.project, "--json"],
      {
        env: serveOnly,
      },
    );
    expect([backup.code, backup.stderr]).toEqual([0, ""]);
    expect(JSON.parse(backup.stdout)).toMatchObject({ events: 1 });

    const resultFile = join(dir, "result.json");
    const event = writeEvent(dir, { id: "direct", type: "demo.blocked" });
    const args = ["--cwd", backend.project, "--flow", "attention", "--step", "review", "--event", event];
    const exec = await runCli(["backend", "exec-step", ...args, "--result-file", resultFile], { env: serveOnly });
    expect([exec.code, exec.stderr]).toEqual([0, ""]);
    expect(JSON.parse(readFileSync(resultFile, "utf8"))).toMatchObject({
      status: "blocked",
      result: { status: "blocked" },
    });
  });

  test("usage errors: unknown action, flags of another action, missing arguments", async () => {
    const unknown = await runCli(["backend", "explode"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown backend action "explode"/);
    const wrongFlag = await runCli(["backend", "show-run", "x", "--wait"]);
    expect(wrongFlag.code).toBe(2);
    expect(wrongFlag.stderr).toMatch(/--wait does not apply to `backend show-run`/);
    const noId = await runCli(["backend", "show-event"]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/takes exactly one event-id/);
    const noOut = await runCli(["backend", "backup"]);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out DIR/);
    const badPort = await runCli(["backend", "serve", "--port", "99999"]);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/--port must be an integer from 0 to 65535/);
    const badExecutor = await runCli(["backend", "serve"], { env: { CODEX_FLOW_BACKEND_EXECUTOR: "docker" } });
    expect(badExecutor.code).toBe(2);
    expect(badExecutor.stderr).toMatch(/CODEX_FLOW_BACKEND_EXECUTOR must be one of direct, systemd-run/);
  });
});
