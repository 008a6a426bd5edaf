// Interrupts on the CLI: steps run in their own process groups, so the CLI must kill them itself.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, test } from "vitest";
import { CLI, FIXTURES, tempDir, writeEvent } from "./helpers.js";
import { isAlive, waitFor } from "./process-helpers.js";

/** Starts `codex-flows <command>` on the sleeper step (its grandchild ignores SIGTERM) and waits for the grandchild. */
async function startSleeper(command: string) {
  const dir = tempDir();
  const pidFile = join(dir, "grandchild.pid");
  const event = writeEvent(dir, { id: "sig", type: "outcome.sleep", payload: { pidFile } });
  const cli = spawn(
    process.execPath,
    [CLI, ...command.split(" "), "--cwd", join(FIXTURES, "outcomes"), "--event", event, "--json"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  cli.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  const exited = new Promise<number | null>((resolve) => cli.on("close", resolve));
  const grandchild = await waitFor(() => {
    try {
      return Number(readFileSync(pidFile, "utf8").trim()) || undefined;
    } catch {
      return undefined;
    }
  });
  return { cli, exited, grandchild, stdout: () => stdout };
}

test.each([
  ["fire", "SIGINT"],
  ["run sleeper main", "SIGTERM"],
  ["fire", "SIGHUP"],
] as const)("%s: %s cancels running steps, kills their tree and exits 130", async (command, signal) => {
  const { cli, exited, grandchild, stdout } = await startSleeper(command);
  cli.kill(signal);
  expect(await exited).toBe(130);
  expect(isAlive(grandchild)).toBe(false);
  const report = JSON.parse(stdout()) as { runs?: object[] } & object;
  expect(report.runs ?? [report]).toMatchObject([{ status: "failed", result: { message: "canceled" } }]);
});

test("a second interrupt does not wait for the canceled steps: their trees get SIGKILL and the CLI exits 130 at once", async () => {
  const { cli, exited, grandchild, stdout } = await startSleeper("fire");
  cli.kill("SIGINT");
  // Two signals sent back to back can arrive as one; let the first be handled.
  await sleep(200);
  cli.kill("SIGINT");
  expect(await exited).toBe(130);
  // The graceful path prints the report once the steps are gone; exiting at once prints none.
  expect(stdout()).toBe("");
  await waitFor(() => (isAlive(grandchild) ? undefined : true));
});
