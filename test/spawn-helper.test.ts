// The spawn helper: steps started through a small Bun process instead of forking the service.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { findBun } from "../runners/bun/find-bun.js";
import { killGroup, type StepChild } from "../src/process/process-tree.js";
import { spawnStep, stopSpawnHelper, useSpawnHelper } from "../src/process/spawn-step.js";
import { api, eventually, processGone, slowPids, startBackend } from "./backend-helpers.js";
import { copyFixture, ROOT, tempDir } from "./helpers.js";

const bun = findBun(process.env, ROOT);

function parentOf(pid: number): number {
  // Field 4 of /proc/<pid>/stat, after the command name in parentheses (which may hold spaces).
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
}

function commandOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
}

interface Ended {
  stdout: string;
  stderr: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function collect(child: StepChild): Promise<Ended> {
  let stdout = "";
  let stderr = "";
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) =>
      resolve({ stdout, stderr, code, signal }),
    );
  });
}

function script(source: string): string {
  const file = join(tempDir(), "step.ts");
  writeFileSync(file, source);
  return file;
}

describe("spawn helper, in process", () => {
  useSpawnHelper(bun);
  afterAll(() => stopSpawnHelper());

  test("a step gets its stdin, its output (a character split across writes intact) and its exit code", async () => {
    const file = script(`
      const input = await new Response(Bun.stdin.stream()).text();
      const bytes = Buffer.from("é=" + input.length);
      process.stdout.write(bytes.subarray(0, 1));
      await Bun.sleep(30);
      process.stdout.write(bytes.subarray(1));
      console.error("to stderr");
      process.exit(3);
    `);
    const child = spawnStep(bun, [file], { env: process.env });
    child.stdin?.end("x".repeat(100_000));
    const ended = await collect(child);
    expect(ended).toEqual({ stdout: "é=100000", stderr: "to stderr\n", code: 3, signal: null });
  });

  test("the step is a child of the helper, in a process group of its own", async () => {
    const file = script(`console.log(process.pid); await Bun.sleep(60_000);`);
    const child = spawnStep(bun, [file], { env: process.env });
    const ended = collect(child);
    await new Promise((resolve) => child.once("spawn", resolve));
    const pid = child.pid as number;
    expect(commandOf(parentOf(pid))).toMatch(/spawner-main\.ts|spawner\.js/);
    expect(parentOf(pid)).not.toBe(process.pid);
    await killGroup(child, { graceMs: 500 });
    expect((await ended).signal).toBe("SIGTERM");
    expect(processGone(pid)).toBe(true);
  });

  test("a kill asked for before the helper has answered still kills the step", async () => {
    const pidFile = join(tempDir(), "pid");
    const file = script(
      `require("node:fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); await Bun.sleep(60_000);`,
    );
    const child = spawnStep(bun, [file], { env: process.env });
    expect(child.pid).toBeUndefined();
    const ended = collect(child);
    await killGroup(child, { graceMs: 500 });
    expect((await ended).code === null || (await ended).signal !== null).toBe(true);
    expect(processGone(child.pid as number)).toBe(true);
  });

  test("a command that does not exist fails with ENOENT, like a direct spawn", async () => {
    const child = spawnStep(join(tempDir(), "no-such-binary"), [], { env: process.env });
    await expect(collect(child)).rejects.toMatchObject({ code: "ENOENT" });
  });

  test("a helper killed mid-step: the step is stopped, its output says why, and the next step gets a new helper", async () => {
    const file = script(`console.log("started"); await Bun.sleep(60_000);`);
    const child = spawnStep(bun, [file], { env: process.env });
    const ended = collect(child);
    await new Promise((resolve) => child.once("spawn", resolve));
    const step = child.pid as number;
    const helper = parentOf(step);
    process.kill(helper, "SIGKILL");
    const result = await ended;
    expect(result.signal).toBe("SIGKILL");
    expect(result.stderr).toMatch(/the spawn helper exited \(SIGKILL\); the step was stopped/);
    await eventually(() => processGone(step), 5_000, "the orphaned step to be killed");

    const next = spawnStep(bun, [script(`console.log(process.ppid);`)], { env: process.env });
    const again = await collect(next);
    expect(again.code).toBe(0);
    expect(Number(again.stdout.trim())).not.toBe(helper);
    expect(commandOf(Number(again.stdout.trim()))).toMatch(/spawner/);
  });
});

describe("spawn helper, in the service", () => {
  for (const [label, env, parent] of [
    ["by default", {}, /\/spawner\.js/],
    ["with CODEX_FLOWS_SPAWN_HELPER=0", { CODEX_FLOWS_SPAWN_HELPER: "0" }, /cli\.cjs backend serve/],
  ] as const) {
    test(`${label}, a step's parent is ${String(parent)}`, async () => {
      const backend = await startBackend({ project: copyFixture("worker-project"), env, args: ["--grace-ms", "200"] });
      const pidFile = join(tempDir(), "pids.json");
      await api(backend.url, "POST", "/events", { id: "where", type: "demo.hang", payload: { pidFile } });
      const pids = await slowPids(pidFile);
      expect(commandOf(parentOf(pids.step))).toMatch(parent);
      expect(await backend.stop("SIGTERM")).toBe(0);
      await eventually(() => processGone(pids.step) && processGone(pids.grandchild), 10_000, "the step tree to go");
    }, 60_000);
  }
});
