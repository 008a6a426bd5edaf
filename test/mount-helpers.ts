// Real small or read-only file systems for tests (tmpfs mounts), where this user may mount them (root).
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onTestFinished } from "vitest";

/** Mounting needs root; tests that need a real full or read-only disk run only then (and say so when skipped). */
export const CAN_MOUNT = process.getuid?.() === 0;

/** Mounts a fresh tmpfs of `size` (e.g. "4m") and returns its folder; unmounted and removed when the test ends. */
export function mountTmpfs(size: string, options: { readOnly?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "codex-flows-mount-"));
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size}${options.readOnly ? ",ro" : ""}`, "tmpfs", dir]);
  onTestFinished(() => {
    // Lazy: a process of the test that still has a file open there must not keep the mount forever.
    execFileSync("umount", ["-l", dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

export function remount(dir: string, mode: "ro" | "rw"): void {
  execFileSync("mount", ["-o", `remount,${mode}`, dir]);
}
