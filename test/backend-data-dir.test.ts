// The data dir's disk going wrong, for real: full (tmpfs), read-only, and temp files a kill -9 left behind.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { api, cleanEnv, eventually, startBackend } from "./backend-helpers.js";
import { CLI, copyFixture, runProcess } from "./helpers.js";
import { CAN_MOUNT, mountTmpfs, remount } from "./mount-helpers.js";

/** Fills the file system holding `dir` to the last byte with one file, returned so the test can free it. */
function fillDisk(dir: string): string {
  const filler = join(dir, "filler");
  writeFileSync(filler, "");
  // Big appends until one no longer fits, then ever smaller ones: the disk ends with no byte free.
  for (let step = 1024 * 1024; step >= 1; step = Math.floor(step / 2)) {
    try {
      for (;;) writeFileSync(filler, Buffer.alloc(step, 1), { flag: "a" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
    }
  }
  return filler;
}

async function serveOnce(project: string, dataDir: string) {
  return runProcess(
    process.execPath,
    [CLI, "backend", "serve", "--cwd", project, "--data-dir", dataDir, "--port", "0"],
    {
      env: cleanEnv(),
    },
  );
}

describe("backend data dir", () => {
  test.skipIf(!CAN_MOUNT)(
    "a full disk answers 503 with Retry-After, /healthz says the store is unwritable, and it recovers",
    async () => {
      const disk = mountTmpfs("8m");
      const dataDir = join(disk, "data");
      const backend = await startBackend({ dataDir });
      expect((await api(backend.url, "GET", "/healthz")).body).toEqual({ ok: true, store: "writable" });
      const filler = fillDisk(disk);
      const big = "x".repeat(200_000);
      const full = await api(backend.url, "POST", "/events", {
        id: "full-1",
        type: "nothing.listens",
        payload: { big },
      });
      expect(full.status).toBe(503);
      expect(full.headers.get("retry-after")).toBe("30");
      expect(full.body).toMatchObject({
        reason: "disk-full",
        error: expect.stringContaining(`data dir ${dataDir} is full`),
      });
      const health = await api(backend.url, "GET", "/healthz");
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ ok: false, store: "unwritable" });

      rmSync(filler);
      expect((await api(backend.url, "GET", "/healthz")).status).toBe(200);
      const again = await api(backend.url, "POST", "/events", {
        id: "full-1",
        type: "nothing.listens",
        payload: { big },
      });
      expect(again.status).toBe(202);
      expect(backend.stderr()).not.toMatch(/internal error/);
    },
  );

  test("temp files of event writes a kill -9 interrupted are removed at start; other files are kept", async () => {
    const first = await startBackend();
    expect((await api(first.url, "POST", "/events", { id: "kept", type: "nothing.listens" })).status).toBe(202);
    const events = join(first.dataDir, "events");
    // The event's own file is written behind the answer; once it is there, no write of ours is in flight.
    await eventually(() => readdirSync(events).some((name) => name.endsWith(".json")), 10_000, "the event file");
    first.child.kill("SIGKILL");
    await first.stop();
    const stale = ["kept-0123456789abcdef.json.4242.7.tmp", "other-fedcba9876543210.json.99999.1.tmp"];
    for (const name of stale) writeFileSync(join(events, name), '{"id":');
    writeFileSync(join(events, "notes.tmp"), "someone's own file");
    const second = await startBackend({ project: first.project });
    const left = readdirSync(events);
    for (const name of stale) expect(left).not.toContain(name);
    expect(left).toContain("notes.tmp");
    expect(left.filter((name) => name.startsWith("kept-") && name.endsWith(".json"))).toHaveLength(1);
    expect(second.stderr()).toMatch(/removed 2 temp file\(s\) of interrupted event writes/);
  });

  test("after a clean stop the events folder is not read at start: no writer can have left a temp file", async () => {
    const first = await startBackend();
    expect((await api(first.url, "POST", "/events", { id: "clean", type: "nothing.listens" })).status).toBe(202);
    const events = join(first.dataDir, "events");
    await eventually(() => readdirSync(events).some((name) => name.endsWith(".json")), 10_000, "the event file");
    expect(await first.stop("SIGTERM")).toBe(0);
    // Planted after the stop: a start that read the folder would remove it, as after a kill -9 above.
    const planted = "clean-0123456789abcdef.json.4242.7.tmp";
    writeFileSync(join(events, planted), '{"id":');
    const second = await startBackend({ project: first.project });
    expect(readdirSync(events)).toContain(planted);
    expect(second.stderr()).not.toMatch(/temp file/);
    // A kill -9 of this one leaves its pid file, so the next start knows to look, and cleans up.
    second.child.kill("SIGKILL");
    await second.stop();
    const third = await startBackend({ project: first.project });
    expect(readdirSync(events)).not.toContain(planted);
    expect(third.stderr()).toMatch(/removed 1 temp file\(s\) of interrupted event writes/);
  });

  test("a data dir that cannot be written is named as such, not as ENOENT from mkdir", async () => {
    const project = copyFixture("backend-basic");
    let parent: string;
    if (CAN_MOUNT) parent = mountTmpfs("1m", { readOnly: true });
    else {
      parent = join(project, "locked");
      mkdirSync(parent, { mode: 0o555 });
    }
    const missing = await serveOnce(project, join(parent, "data"));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cannot create the data dir ${join(parent, "data")}: ${parent} is not writable`);
    expect(missing.stderr).not.toMatch(/ENOENT/);

    if (!CAN_MOUNT) return;
    // A data dir that exists, with a database, on a disk remounted read-only.
    const disk = mountTmpfs("4m");
    const dataDir = join(disk, "data");
    const backend = await startBackend({ project, dataDir });
    expect(await backend.stop()).toBe(0);
    remount(disk, "ro");
    const readOnly = await serveOnce(project, dataDir);
    expect(readOnly.code).toBe(1);
    expect(readOnly.stderr).toContain(`the data dir ${dataDir} is not writable: it is on a read-only file system`);
    expect(existsSync(join(dataDir, "backend.sqlite"))).toBe(true);
  });
});
