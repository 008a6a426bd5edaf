// The CLI loader (src/cli-loader.ts): a V8 code cache per command, rewritten when it does not fit, and
// import() of packages still working when the bundle was compiled from it.
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { api, startBackend } from "./backend-helpers.js";
import { CLI, DIST, ROOT, runCli, runProcess, tempDir } from "./helpers.js";

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

  test("the cache is keyed by the bundle's content: an edit of the same size and mtime gets a new cache", async () => {
    const install = tempDir("codex-flows-cache-install-");
    copyFileSync(CLI, join(install, "cli.cjs"));
    const bundle = join(install, "cli-main.cjs");
    copyFileSync(join(DIST, "cli-main.cjs"), bundle);
    const dir = tempDir();
    const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: dir, NODE_PATH: join(ROOT, "node_modules") };
    const run = () => runProcess(process.execPath, [join(install, "cli.cjs"), "list", "--help"], { env });
    expect((await run()).code).toBe(0);
    const [first] = cacheFiles(dir);
    // Same length, same mtime, other content (a release whose version string changed, say).
    const { mtime } = statSync(bundle);
    const text = readFileSync(bundle, "utf8");
    writeFileSync(bundle, text.replace("Display this message", "Display this massage"));
    utimesSync(bundle, mtime, mtime);
    const again = await run();
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Display this massage");
    expect(cacheFiles(dir)).toHaveLength(1);
    expect(cacheFiles(dir)[0]).not.toBe(first);
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
