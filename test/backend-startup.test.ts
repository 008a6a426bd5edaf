// Starting the service: it listens before it touches any run, and only one service ever holds a data dir.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, onTestFinished, test } from "vitest";
import { claimRun } from "../src/store/claim-run.js";
import { eventFilePath } from "../src/store/event-files.js";
import { getRun } from "../src/store/get-run.js";
import { insertEvent } from "../src/store/insert-event.js";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { api, cleanEnv, finishedRuns, startBackend } from "./backend-helpers.js";
import { CLI, copyFixture, runCli } from "./helpers.js";

interface Starter {
  child: ChildProcess;
  /** "listening" once it printed its URL, "exited" once it ended without. */
  outcome: Promise<{ state: "listening" | "exited"; stderr: string }>;
}

function startServe(project: string): Starter {
  const child = spawn(process.execPath, [CLI, "backend", "serve", "--cwd", project, "--port", "0"], {
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const outcome = new Promise<{ state: "listening" | "exited"; stderr: string }>((resolve) => {
    child.stdout?.setEncoding("utf8").on("data", (text: string) => {
      if (text.includes("listening on")) resolve({ state: "listening", stderr });
    });
    child.on("exit", () => resolve({ state: "exited", stderr }));
  });
  return { child, outcome };
}

describe("backend start-up", () => {
  test("a serve that cannot listen touches no run: queued stays queued, a crashed one is left for the next service", async () => {
    const project = copyFixture("backend-basic");
    const dataDir = join(project, ".codex", "flow-backend");
    const db = await openStore(join(dataDir, DATABASE_FILE));
    const received = new Date().toISOString();
    const queued = insertEvent(db, {
      event: { id: "waiting", type: "demo.blocked", receivedAt: received, payload: {} },
      runs: [{ flow: "attention", step: "review", maxAttempts: 1, runner: "bun" }],
      skipped: [],
      now: Date.now(),
    }).runIds[0] as string;
    const crashed = insertEvent(db, {
      event: { id: "crashed", type: "demo.blocked", receivedAt: received, payload: {} },
      runs: [{ flow: "attention", step: "review", maxAttempts: 1, runner: "bun" }],
      skipped: [],
      now: Date.now() - 1,
    }).runIds[0] as string;
    // The older run is claimed by a local service that has since died.
    expect(claimRun(db, { workerId: `local:${hostname()}:1:dead`, leaseMs: 60_000, now: Date.now() })?.runId).toBe(
      queued,
    );
    db.prepare("UPDATE runs SET status = 'queued', attempt_count = 0 WHERE id = ?").run(queued);
    db.prepare("UPDATE attempts SET run_id = ? WHERE run_id = ?").run(crashed, queued);
    db.prepare("UPDATE runs SET status = 'running', attempt_count = 1 WHERE id = ?").run(crashed);
    db.close();

    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      blocker.close();
    });
    const port = (blocker.address() as AddressInfo).port;
    const failed = await runCli(["backend", "serve", "--cwd", project, "--port", String(port)], { env: cleanEnv() });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+ \(EADDRINUSE\)/);

    const after = await openStore(join(dataDir, DATABASE_FILE));
    expect(getRun(after, queued)).toMatchObject({ status: "queued", attemptCount: 0, attempts: [] });
    expect(getRun(after, crashed)).toMatchObject({ status: "running", attempts: [{ status: "running" }] });
    after.close();

    // A service that does listen then runs the one and recovers the other.
    const backend = await startBackend({ project });
    expect((await finishedRuns(backend.url, "waiting", 1))[0]).toMatchObject({ status: "completed", attemptCount: 1 });
    expect((await finishedRuns(backend.url, "crashed", 1))[0]).toMatchObject({
      status: "failed",
      error: "interrupted: the service stopped while the step was running",
    });
  });

  test("an event file left empty or torn (a power loss after its rename) is rewritten from the database at start", async () => {
    const first = await startBackend();
    for (const id of ["empty", "torn", "fine"]) {
      await api(first.url, "POST", "/events", { id, type: "nothing.listens", payload: { id } });
    }
    await first.stop("SIGTERM");
    writeFileSync(eventFilePath(first.dataDir, "empty"), "");
    writeFileSync(eventFilePath(first.dataDir, "torn"), '{\n  "id": "to');
    const second = await startBackend({ project: first.project });
    for (const id of ["empty", "torn", "fine"]) {
      const file = JSON.parse(readFileSync(eventFilePath(first.dataDir, id), "utf8"));
      expect(file).toMatchObject({ id, type: "nothing.listens", payload: { id } });
    }
    expect(second.stderr()).toMatch(/rewrote 2 event file\(s\)/);
  });

  test("a stale service.pid naming a live process (pid 1) does not block the start", async () => {
    const project = copyFixture("backend-basic");
    const dataDir = join(project, ".codex", "flow-backend");
    const first = await startBackend({ project });
    await first.stop("SIGKILL");
    writeFileSync(join(dataDir, "service.pid"), `${JSON.stringify({ pid: 1, workerId: "old", startedAt: "x" })}\n`);
    const second = await startBackend({ project });
    expect(second.stderr()).not.toMatch(/another codex-flows backend/);
  });

  test("the lock holds whatever service.pid says: empty, naming a dead process, or garbage", async () => {
    const project = copyFixture("backend-basic");
    const dataDir = join(project, ".codex", "flow-backend");
    const holder = await startBackend({ project });
    // What a racing starter could have read: the holder's file created but not yet written, or a
    // dead predecessor's content the holder has not replaced yet.
    const dead = spawn(process.execPath, ["-e", ""]);
    await new Promise((resolve) => dead.once("exit", resolve));
    for (const content of [
      "",
      `${JSON.stringify({ pid: dead.pid, workerId: "gone", startedAt: "x" })}\n`,
      "{not json",
    ]) {
      writeFileSync(join(dataDir, "service.pid"), content);
      const second = startServe(project);
      const outcome = await second.outcome;
      expect([content, outcome.state]).toEqual([content, "exited"]);
      expect(outcome.stderr).toMatch(/another codex-flows backend (\(pid \d+\) )?is using this data dir/);
    }
    expect((await fetch(`${holder.url}/healthz`)).status).toBe(200);
  });

  test("eight services started at once on one data dir: exactly one runs, again after the holder is killed", async () => {
    const project = copyFixture("backend-basic");
    for (let trial = 0; trial < 4; trial++) {
      const starters = Array.from({ length: 8 }, () => startServe(project));
      const outcomes = await Promise.all(starters.map((starter) => starter.outcome));
      const running = starters.filter((_, index) => outcomes[index]?.state === "listening");
      expect([trial, running.length]).toEqual([trial, 1]);
      for (const outcome of outcomes.filter((o) => o.state === "exited")) {
        expect(outcome.stderr).toMatch(/another codex-flows backend (\(pid \d+\) )?is using this data dir/);
      }
      // Killed without a chance to clean up, the way a crash leaves the data dir for the next trial.
      const winner = running[0]?.child as ChildProcess;
      const gone = new Promise((resolve) => winner.once("exit", resolve));
      winner.kill("SIGKILL");
      await gone;
    }
  }, 60_000);
});
