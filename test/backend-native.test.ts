// When better-sqlite3's native binding is missing (npm 11 skipped its install script), backend commands say how to fix it.
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { expect, test } from "vitest";
import { CLI, ROOT, tempDir } from "./helpers.js";

test("a missing better-sqlite3 binding gives one clear line naming the fix", () => {
  // An install of the built CLI whose node_modules has every package but a broken better-sqlite3.
  const install = tempDir("codex-flows-native-");
  const modules = join(install, "node_modules");
  mkdirSync(join(modules, "better-sqlite3"), { recursive: true });
  for (const name of readdirSync(join(ROOT, "node_modules"))) {
    if (name !== "better-sqlite3" && !name.startsWith("."))
      symlinkSync(join(ROOT, "node_modules", name), join(modules, name));
  }
  writeFileSync(
    join(modules, "better-sqlite3", "package.json"),
    JSON.stringify({ name: "better-sqlite3", version: "0.0.0", main: "index.js" }),
  );
  writeFileSync(
    join(modules, "better-sqlite3", "index.js"),
    "throw new Error('Could not locate the bindings file. Tried: build/Release/better_sqlite3.node');\n",
  );
  mkdirSync(join(install, "dist"));
  // The bin is a loader that runs the bundle beside it (src/cli-loader.ts).
  copyFileSync(CLI, join(install, "dist", "cli.cjs"));
  copyFileSync(join(dirname(CLI), "cli-main.cjs"), join(install, "dist", "cli-main.cjs"));

  const result = spawnSync(
    process.execPath,
    [join(install, "dist", "cli.cjs"), "backend", "serve", "--cwd", install, "--port", "0"],
    {
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  expect(result.status).toBe(1);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/better-sqlite3 could not be loaded \(Could not locate the bindings file/);
  expect(lines[0]).toMatch(/npm rebuild better-sqlite3/);

  // Commands that do not touch the backend do not load it at all.
  const list = spawnSync(process.execPath, [join(install, "dist", "cli.cjs"), "list", "--cwd", install], {
    encoding: "utf8",
  });
  expect(list.status).toBe(0);
});
