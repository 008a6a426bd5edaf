// Fails a test file that leaves processes running: everything it spawns inherits a marker unique to the file.
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll } from "vitest";

/** The variable every process a test file starts inherits (unless a test hands it a whole new environment). */
export const TEST_FILE_VARIABLE = "CODEX_FLOWS_TEST_FILE";
/** How long processes get to finish dying after the file's last test (a service's shutdown, a kill in flight). */
const SETTLE_MS = 5_000;

const marker = randomUUID();
process.env[TEST_FILE_VARIABLE] = marker;

function describeProcess(pid: string): string {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 160)}`;
  } catch {
    return pid;
  }
}

/** Live processes started by this file: their environment at exec holds the marker. */
function leftovers(): string[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return []; // no /proc: nothing to check here
  }
  const needle = `${TEST_FILE_VARIABLE}=${marker}\0`;
  return entries.filter((entry) => {
    if (!/^\d+$/.test(entry) || entry === String(process.pid)) return false;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
      return readFileSync(`/proc/${entry}/environ`, "latin1").includes(needle);
    } catch {
      return false;
    }
  });
}

afterAll(async () => {
  const deadline = Date.now() + SETTLE_MS;
  let left = leftovers();
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = leftovers();
  }
  if (left.length === 0) return;
  const described = left.map(describeProcess);
  for (const pid of left) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {}
  }
  throw new Error(
    `this test file left ${left.length} process(es) running (now killed); each test must stop what it starts:\n  ${described.join("\n  ")}`,
  );
}, SETTLE_MS + 5_000);
