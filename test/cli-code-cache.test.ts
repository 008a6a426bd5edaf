// The CLI loader (src/cli-loader.ts): a V8 code cache per command, rewritten when it does not fit, and
// import() of packages still working when the bundle was compiled from it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { api, startBackend } from "./backend-helpers.js";
import { DIST, runCli, tempDir } from "./helpers.js";

const cacheFiles = (dir: string) => {
  const folder = join(dir, "code");
  return existsSync(folder) ? readdirSync(folder).sort() : [];
};

describe("CLI code cache", () => {
  test("each command gets its own cache file, which later starts use", async () => {
    const dir = tempDir();
    const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: dir };
    expect((await runCli(["list", "--help"], { env })).code).toBe(0);
    expect(cacheFiles(dir)).toEqual([expect.stringMatching(/^cli-[0-9a-f]{12}-list-v\d+.*\.v8cache$/)]);
    const made = readFileSync(join(dir, "code", cacheFiles(dir)[0] as string));
    expect((await runCli(["list", "--help"], { env })).code).toBe(0);
    // Used, not rewritten: a fitting cache stays byte for byte what the first run wrote.
    expect(readFileSync(join(dir, "code", cacheFiles(dir)[0] as string)).equals(made)).toBe(true);
    expect((await runCli(["check", "--help"], { env })).code).toBe(0);
    expect(cacheFiles(dir)).toHaveLength(2);
  });

  test("a damaged cache file is rejected by V8, the command still works, and the file is rewritten", async () => {
    const dir = tempDir();
    const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: dir };
    await runCli(["list", "--help"], { env });
    const file = join(dir, "code", cacheFiles(dir)[0] as string);
    writeFileSync(file, "not bytecode");
    const again = await runCli(["list", "--help"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Usage:");
    expect(readFileSync(file).length).toBeGreaterThan(10_000);
  });

  test("a service started from a cached bundle still imports better-sqlite3", async () => {
    const dir = tempDir();
    for (let start = 0; start < 2; start++) {
      const backend = await startBackend({ env: { CODEX_FLOWS_CACHE_DIR: dir } });
      const answer = await api(backend.url, "POST", "/events", { id: `e${start}`, type: "nothing.listens" });
      expect(answer.status).toBe(202);
      await backend.stop("SIGTERM");
      expect(backend.stderr()).not.toMatch(/Warning|could not be loaded/);
    }
    expect(cacheFiles(dir)).toEqual([expect.stringContaining("-backend-")]);
  });

  test("CODEX_FLOWS_CACHE_DIR=off writes nothing, and the bundle imports only through the loader's importer", async () => {
    const dir = tempDir();
    const result = await runCli(["list", "--help"], {
      env: { ...process.env, CODEX_FLOWS_CACHE_DIR: "off", HOME: dir },
    });
    expect(result.code).toBe(0);
    expect(readdirSync(dir)).toEqual([]);
    // A plain import() compiled from the cache fails at run time; the one left is core/import-module.ts's fallback.
    const bundle = readFileSync(join(DIST, "cli-main.cjs"), "utf8");
    expect(bundle.match(/\bimport\(/g)).toHaveLength(1);
  });
});
