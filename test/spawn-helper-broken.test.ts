// A spawn helper that cannot run (it exits before answering): steps end instead of hanging, then go direct.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { findBun } from "../runners/bun/find-bun.js";
import { killGroup, type StepChild } from "../src/process/process-tree.js";
import { spawnStep, stopSpawnHelper, useSpawnHelper } from "../src/process/spawn-step.js";
import { ROOT, tempDir } from "./helpers.js";

// `false` in the helper's place: it exits at once, as a helper too broken to start would.
beforeAll(() => useSpawnHelper("/bin/false"));
afterAll(() => stopSpawnHelper());

function ended(child: StepChild): Promise<{ stderr: string; signal: NodeJS.Signals | null; code: number | null }> {
  let stderr = "";
  child.stdout?.resume();
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  return new Promise((resolve) =>
    child.once("close", (code: number | null, signal: NodeJS.Signals | null) => resolve({ stderr, signal, code })),
  );
}

test("a step sent to a helper that dies before answering ends (a kill waiting for its pid returns); later steps spawn directly", async () => {
  const bun = findBun(process.env, ROOT);
  const file = join(tempDir(), "step.ts");
  writeFileSync(file, `console.log("ran as", process.ppid);`);
  const first = spawnStep(bun, [file], { env: process.env });
  const result = ended(first);
  // Waits for a pid that never comes: must return once the helper is known to be gone.
  await killGroup(first, { graceMs: 100 });
  expect(await result).toMatchObject({ signal: "SIGKILL", stderr: expect.stringMatching(/the spawn helper exited/) });

  const second = spawnStep(bun, [file], { env: process.env });
  let stdout = "";
  second.stdout?.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  const done = await new Promise<number | null>((resolve) =>
    second.once("close", (code: number | null) => resolve(code)),
  );
  expect(done).toBe(0);
  // Its parent is this process: spawned directly, not by a new broken helper.
  expect(stdout.trim()).toBe(`ran as ${process.pid}`);
});
