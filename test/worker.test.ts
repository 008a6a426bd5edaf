// `codex-flows worker` against `backend serve --concurrency 0`: real processes, real HTTP on loopback, real SQLite.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { describe, expect, test } from "vitest";
import { api, eventually, finishedRuns, processGone, type Run, slowPids, startBackend } from "./backend-helpers.js";
import { copyFixture, tempDir } from "./helpers.js";
import { startWorker } from "./worker-helpers.js";

const controlPlane = (args: string[] = []) =>
  startBackend({ project: copyFixture("worker-project"), args: ["--concurrency", "0", ...args] });

async function runOf(url: string, eventId: string): Promise<Run> {
  const { body } = await api(url, "GET", `/runs?eventId=${encodeURIComponent(eventId)}`);
  const id = body.runs[0]?.id;
  return (await api(url, "GET", `/runs/${id}`)).body.run;
}

async function treeGone(pids: { step: number; grandchild: number }, what: string): Promise<void> {
  await eventually(() => processGone(pids.step) && processGone(pids.grandchild), 15_000, what);
}

describe("remote workers", () => {
  test("serve --concurrency 0 runs nothing itself; 50 events spread over two workers, each run once", async () => {
    const backend = await controlPlane();
    await api(backend.url, "POST", "/events", { id: "before-workers", type: "demo.quick" });
    await sleep(500);
    expect((await runOf(backend.url, "before-workers")).status).toBe("queued");
    const workers = await Promise.all(
      ["w-a", "w-b"].map((id) =>
        startWorker({ url: backend.url, project: backend.project, id, args: ["--concurrency", "2"] }),
      ),
    );
    const ids = Array.from({ length: 50 }, (_, index) => `spread-${index}`);
    await Promise.all(ids.map((id) => api(backend.url, "POST", "/events", { id, type: "demo.quick" })));
    const runs = await Promise.all(ids.map(async (id) => (await finishedRuns(backend.url, id, 1))[0] as Run));
    expect(runs.every((run) => run.status === "completed" && run.attemptCount === 1)).toBe(true);
    const details = await Promise.all(ids.map((id) => runOf(backend.url, id)));
    const ranOn = details.map((run) => {
      expect(run.attempts).toHaveLength(1);
      expect(run.result.message).toBe(`ran on ${run.attempts[0].workerId}`);
      return run.attempts[0].workerId;
    });
    expect(new Set(ranOn)).toEqual(new Set(workers.map((worker) => worker.id)));
    expect((await finishedRuns(backend.url, "before-workers", 1))[0]?.status).toBe("completed");
    // show-run prints which worker ran each attempt.
    const shown = await import("./helpers.js").then(({ runCli }) =>
      runCli(["backend", "show-run", details[0]?.id, "--url", backend.url]),
    );
    expect(shown.stdout).toContain(ranOn[0]);
  }, 90_000);

  test("kill -9 of a worker mid-step: the run is interrupted after its lease; the restarted worker reaps the step tree", async () => {
    const backend = await controlPlane(["--lease-ms", "1500"]);
    const worker = await startWorker({ url: backend.url, project: backend.project, id: "doomed" });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "crash", type: "demo.hang", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    await worker.stop("SIGKILL");
    const run = await eventually(
      async () => {
        const found = await runOf(backend.url, "crash");
        return found.status === "failed" ? found : undefined;
      },
      1_500 + 5_000,
      "the run to be interrupted",
    );
    expect(run).toMatchObject({
      error: "interrupted: worker doomed stopped heartbeating",
      attempts: [{ workerId: "doomed", status: "interrupted" }],
    });
    expect(processGone(pids.step) || processGone(pids.grandchild)).toBe(false);
    const restarted = await startWorker({ url: backend.url, project: backend.project, id: "doomed-again" });
    await treeGone(pids, "the orphaned step tree to be reaped");
    expect(restarted.stderr()).toMatch(/killed 2 leftover step process\(es\) of a worker that died/);
  }, 60_000);

  test("SIGSTOP past the lease, SIGCONT: the stale worker kills its step and is refused; the re-claimed attempt stands", async () => {
    const backend = await controlPlane(["--lease-ms", "1200", "--retry-backoff-ms", "0"]);
    const sleepy = await startWorker({ url: backend.url, project: backend.project, id: "sleepy" });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", {
      id: "pause",
      type: "demo.hang-once",
      payload: { pidFile, onlyFirst: true },
    });
    const first = await slowPids(pidFile);
    sleepy.child.kill("SIGSTOP");
    await eventually(
      async () => (await runOf(backend.url, "pause")).status === "queued",
      10_000,
      "the lease to expire",
    );
    await startWorker({ url: backend.url, project: backend.project, id: "awake" });
    const [run] = await finishedRuns(backend.url, "pause", 1);
    expect(run).toMatchObject({ status: "completed", result: { message: "attempt 2" } });
    sleepy.child.kill("SIGCONT");
    await treeGone(first, "the stale attempt's step tree to be killed");
    await eventually(() => /lease lost/.test(sleepy.stderr()), 10_000, "the stale worker to notice");
    const after = await runOf(backend.url, "pause");
    expect(after).toMatchObject({ status: "completed", result: { message: "attempt 2" } });
    expect(after.attempts.map((a: Run) => [a.workerId, a.status])).toEqual([
      ["sleepy", "interrupted"],
      ["awake", "completed"],
    ]);
  }, 60_000);

  test("a worker with the code-mode gate closed never claims a code-mode step; one with it open does", async () => {
    const backend = await controlPlane();
    const closed = await startWorker({ url: backend.url, project: backend.project, id: "no-code-mode" });
    expect(closed.stderr()).toMatch(/runners: bun;/);
    await api(backend.url, "POST", "/events", { id: "gated", type: "demo.gated" });
    await api(backend.url, "POST", "/events", { id: "after-gated", type: "demo.quick" });
    await finishedRuns(backend.url, "after-gated", 1);
    await sleep(1_000);
    expect(await runOf(backend.url, "gated")).toMatchObject({ status: "queued", attempts: [] });
    const open = await startWorker({
      url: backend.url,
      project: backend.project,
      id: "with-code-mode",
      env: { CODEX_FLOWS_MODE: "code-mode", CODEX_APP_SERVER_CODEX_COMMAND: "/nonexistent/codex" },
    });
    expect(open.stderr()).toMatch(/runners: bun, code-mode;/);
    await finishedRuns(backend.url, "gated", 1);
    expect((await runOf(backend.url, "gated")).attempts.map((a: Run) => a.workerId)).toEqual(["with-code-mode"]);
  }, 60_000);

  test("a worker whose flow.toml differs from the backend's refuses the run with a clear error", async () => {
    const backend = await controlPlane();
    const project = copyFixture("worker-project");
    const manifest = join(project, "flows", "work", "flow.toml");
    writeFileSync(manifest, readFileSync(manifest, "utf8").replace("version = 1", "version = 2"));
    await startWorker({ url: backend.url, project, id: "drifted" });
    await api(backend.url, "POST", "/events", { id: "drift", type: "demo.quick" });
    const [run] = await finishedRuns(backend.url, "drift", 1);
    expect(run?.status).toBe("failed");
    expect(run?.error).toMatch(/refused by worker drifted: its copy of flow "work" differs from the backend's/);
    expect(run?.error).toContain(manifest);
    expect((await runOf(backend.url, "drift")).output).toEqual([]);
  }, 60_000);

  test("cancel-run reaches the remote worker, which kills the step's whole tree; the run ends canceled", async () => {
    const backend = await controlPlane(["--lease-ms", "900"]);
    await startWorker({ url: backend.url, project: backend.project, id: "busy" });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "cancel-me", type: "demo.hang", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    const run = await runOf(backend.url, "cancel-me");
    const answer = await api(backend.url, "POST", `/runs/${run.id}/cancel`);
    expect(answer.body.run).toMatchObject({ status: "canceled" });
    await treeGone(pids, "the canceled step tree to be killed");
    expect((await runOf(backend.url, "cancel-me")).attempts).toMatchObject([{ workerId: "busy", status: "canceled" }]);
  }, 60_000);

  test("backend unreachable for a while: the worker keeps its step, logs once each way, and reports once", async () => {
    const first = await controlPlane(["--lease-ms", "9000"]);
    const port = new URL(first.url).port;
    const worker = await startWorker({ url: first.url, project: first.project, id: "patient" });
    const pidFile = join(tempDir(), "pids.json");
    await api(first.url, "POST", "/events", {
      id: "outage",
      type: "demo.hang-once",
      payload: { pidFile, onlyFirst: true },
    });
    const pids = await slowPids(pidFile);
    expect(await first.stop("SIGTERM")).toBe(0);
    await eventually(() => /not answering/.test(worker.stderr()), 10_000, "the worker to notice the outage");
    await sleep(1_000);
    expect(processGone(pids.step)).toBe(false);
    const second = await startBackend({
      project: first.project,
      args: ["--concurrency", "0", "--lease-ms", "9000", "--port", port],
    });
    await eventually(() => /answers again/.test(worker.stderr()), 15_000, "the worker to reconnect");
    expect(worker.stderr().match(/not answering/g)).toHaveLength(1);
    expect(worker.stderr().match(/answers again/g)).toHaveLength(1);
    expect(await runOf(second.url, "outage")).toMatchObject({ status: "running", attempts: [{ status: "running" }] });
    const run = await runOf(second.url, "outage");
    await api(second.url, "POST", `/runs/${run.id}/cancel`);
    await treeGone(pids, "the step tree to be killed");
  }, 60_000);

  test("a backend in its grace period refuses claims but answers heartbeats: the worker says so once, without flapping", async () => {
    const backend = await startBackend({
      project: copyFixture("worker-project"),
      args: ["--concurrency", "1", "--lease-ms", "900", "--grace-ms", "3000"],
    });
    const ownPids = join(tempDir(), "own.json");
    await api(backend.url, "POST", "/events", { id: "own", type: "demo.hang", payload: { pidFile: ownPids } });
    await slowPids(ownPids);
    const worker = await startWorker({
      url: backend.url,
      project: backend.project,
      id: "spare",
      args: ["--concurrency", "2"],
    });
    const remotePids = join(tempDir(), "remote.json");
    await api(backend.url, "POST", "/events", { id: "remote", type: "demo.hang", payload: { pidFile: remotePids } });
    await slowPids(remotePids);
    expect((await runOf(backend.url, "remote")).attempts).toMatchObject([{ workerId: "spare" }]);
    // A grace period of 3 s with a heartbeat every 300 ms: every beat is answered, every claim refused.
    expect(await backend.stop("SIGTERM")).toBe(0);
    await eventually(() => /not answering/.test(worker.stderr()), 10_000, "the worker to notice the backend is gone");
    expect(worker.stderr().match(/is stopping: no new runs/g)).toHaveLength(1);
    expect(worker.stderr().match(/not answering/g)).toHaveLength(1);
    expect(worker.stderr()).not.toMatch(/answers again/);
    // Its 900 ms lease outlived the 3 s grace period: the heartbeats were answered all along.
    expect(worker.stderr().split("not answering")[0]).not.toMatch(/lease lost/);
  }, 60_000);

  test("SIGTERM: no new runs, running steps get the grace period, then are given back as interrupted", async () => {
    const backend = await controlPlane();
    const worker = await startWorker({
      url: backend.url,
      project: backend.project,
      id: "leaving",
      args: ["--grace-ms", "1000"],
    });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "term", type: "demo.hang", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    expect(await worker.stop("SIGTERM")).toBe(0);
    expect(processGone(pids.step) && processGone(pids.grandchild)).toBe(true);
    expect(await runOf(backend.url, "term")).toMatchObject({
      status: "failed",
      error: "interrupted: worker leaving stopped before the step finished",
    });
    await api(backend.url, "POST", "/events", { id: "after-term", type: "demo.quick" });
    await sleep(500);
    expect((await runOf(backend.url, "after-term")).status).toBe("queued");
  }, 60_000);

  test("a second signal kills the step trees at once and exits 130; --once exits when nothing is left", async () => {
    const backend = await controlPlane();
    const worker = await startWorker({ url: backend.url, project: backend.project, id: "impatient" });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "twice", type: "demo.hang", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    worker.child.kill("SIGTERM");
    await sleep(200);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(130);
    await treeGone(pids, "the step tree to be killed at once");

    await api(backend.url, "POST", "/events", { id: "once-1", type: "demo.quick" });
    await api(backend.url, "POST", "/events", { id: "once-2", type: "demo.quick" });
    const once = await startWorker({ url: backend.url, project: backend.project, id: "one-shot", args: ["--once"] });
    expect(await once.exited).toBe(0);
    expect((await runOf(backend.url, "once-2")).status).toBe("completed");
  }, 60_000);
  test("output too large for the backend's body limit is dropped with a notice; the run still completes", async () => {
    const backend = await controlPlane(["--body-limit", "40000"]);
    await api(backend.url, "POST", "/events", { id: "loud", type: "demo.loud", payload: { chars: 120_000 } });
    const once = await startWorker({ url: backend.url, project: backend.project, id: "loud", args: ["--once"] });
    expect(await once.exited).toBe(0);
    const run = await runOf(backend.url, "loud");
    expect(run).toMatchObject({ status: "completed", result: { message: "printed 120000" } });
    expect(run.output.some((chunk: Run) => /output were refused by the control plane/.test(chunk.text))).toBe(true);
  }, 60_000);

  test("a backend frozen mid-step (heartbeats hang): the worker stops the step once its lease is over", async () => {
    const backend = await controlPlane(["--lease-ms", "1500"]);
    const worker = await startWorker({ url: backend.url, project: backend.project, id: "cut-off" });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "frozen", type: "demo.hang", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    backend.child.kill("SIGSTOP");
    try {
      // Well before a hung call's own 15 s timeout: the lease (1.5 s) is what counts.
      await eventually(() => processGone(pids.step) && processGone(pids.grandchild), 8_000, "the step to be stopped");
      // The line comes once the runner has reported the killed step, a moment after the tree is gone.
      await eventually(() => /lease lost; the step was stopped/.test(worker.stderr()), 5_000, "the worker's log line");
    } finally {
      backend.child.kill("SIGCONT");
    }
  }, 60_000);

  test("stopping the backend leaves a remote worker's attempt running: only its own are interrupted", async () => {
    const backend = await startBackend({
      project: copyFixture("worker-project"),
      args: ["--concurrency", "1", "--lease-ms", "1200", "--grace-ms", "4000"],
    });
    await startWorker({ url: backend.url, project: backend.project, id: "remote" });
    const localPids = join(tempDir(), "local.json");
    const remotePids = join(tempDir(), "remote.json");
    await api(backend.url, "POST", "/events", { id: "one", type: "demo.hang", payload: { pidFile: localPids } });
    await api(backend.url, "POST", "/events", { id: "two", type: "demo.hang", payload: { pidFile: remotePids } });
    await slowPids(localPids);
    await slowPids(remotePids);
    // The grace (4 s) outlasts the lease (1.2 s): the remote worker cannot reach the stopping service.
    expect(await backend.stop("SIGTERM")).toBe(0);
    const db = new Database(join(backend.dataDir, "backend.sqlite"), { readonly: true });
    const attempts = db.prepare("SELECT worker_id AS workerId, status FROM attempts ORDER BY worker_id").all() as {
      workerId: string;
      status: string;
    }[];
    db.close();
    expect(attempts.find((a) => a.workerId === "remote")?.status).toBe("running");
    expect(attempts.find((a) => a.workerId.startsWith("local:"))?.status).toBe("interrupted");
  }, 60_000);

  test("a second signal during the kill of a SIGTERM-ignoring tree still leaves no process behind", async () => {
    const backend = await controlPlane();
    const worker = await startWorker({
      url: backend.url,
      project: backend.project,
      id: "hasty",
      args: ["--grace-ms", "300"],
    });
    const pidFile = join(tempDir(), "pids.json");
    await api(backend.url, "POST", "/events", { id: "hasty", type: "demo.hang", payload: { pidFile } });
    const pids = await slowPids(pidFile);
    worker.child.kill("SIGTERM");
    // Past the grace: the step is being killed (its grandchild ignores SIGTERM for 2 s) when the second comes.
    await sleep(1_200);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(130);
    await treeGone(pids, "the whole tree to be killed");
  }, 60_000);
});

test("worker --once against a backend that does not answer exits 1 with one clear line, instead of waiting", async () => {
  const { runCli } = await import("./helpers.js");
  const result = await runCli([
    "worker",
    "--url",
    "http://127.0.0.1:9",
    "--once",
    "--cwd",
    copyFixture("worker-project"),
  ]);
  expect(result.code).toBe(1);
  expect(
    result.stderr.match(/is not answering \(no codex-flows backend is answering at http:\/\/127\.0\.0\.1:9/g),
  ).toHaveLength(1);
});
