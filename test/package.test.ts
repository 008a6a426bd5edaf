// The published artifact: `npm pack`, install the tarball into an empty project, run the CLI from there.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { FIXTURES, ROOT, tempDir, writeFiles } from "./helpers.js";

const exec = promisify(execFile);

test("the packed tarball installs into an empty project and its CLI and API work there", {
  timeout: 300_000,
}, async () => {
  const packDir = tempDir("codex-flows-pack-");
  await exec("npm", ["pack", "--pack-destination", packDir], { cwd: ROOT });
  const tarball = readdirSync(packDir).find((name) => name.endsWith(".tgz"));
  expect(tarball).toMatch(/^codex-flows-\d+\.\d+\.\d+\.tgz$/);

  const project = writeFiles(tempDir("codex-flows-consumer-"), {
    "package.json": JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }),
  });
  await exec("npm", ["install", "--no-audit", "--no-fund", join(packDir, String(tarball))], { cwd: project });

  const version = await exec("npx", ["codex-flows", "--version"], { cwd: project });
  expect(version.stdout).toMatch(/codex-flows\/\d+\.\d+\.\d+/);

  const listed = await exec("npx", ["codex-flows", "list", "--json", "--cwd", join(FIXTURES, "precedence")], {
    cwd: project,
  });
  expect((JSON.parse(listed.stdout) as { flows: { name: string }[] }).flows.map((flow) => flow.name)).toEqual([
    "alpha",
    "gamma",
    "beta",
  ]);

  const api = await exec(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'const m = await import("codex-flows"); console.log(typeof m.fire, typeof m.discoverFlows)',
    ],
    { cwd: project },
  );
  expect(api.stdout.trim()).toBe("function function");
});

// Issue 13, item 1: `npm install codex-flows` alone must give a working default runner, with no Bun on PATH.
test("in a consumer project with no Bun on PATH, a real bun step runs with the Bun that codex-flows brings", {
  // npm pack (which builds) and an install that fetches Bun took 208 s on the shared 2-core machine.
  timeout: 600_000,
}, async () => {
  const packDir = tempDir("codex-flows-pack-bun-");
  await exec("npm", ["pack", "--pack-destination", packDir], { cwd: ROOT });
  const tarball = readdirSync(packDir).find((name) => name.endsWith(".tgz"));

  const project = writeFiles(tempDir("codex-flows-consumer-bun-"), {
    "package.json": JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }),
    "flows/hi/flow.toml": [
      'name = "hi"',
      "[[steps]]",
      'name = "main"',
      'runner = "bun"',
      'script = "exec/main.ts"',
      "[steps.trigger]",
      'type = "hi.said"',
      "",
    ].join("\n"),
    "flows/hi/exec/main.ts": [
      'import { defineStep } from "codex-flows/step";',
      "await defineStep((ctx) => {",
      '  console.log("bun " + (typeof Bun === "undefined" ? "missing" : Bun.version) + " at " + process.execPath);',
      '  return { status: "completed", message: "hi from " + ctx.flow.name };',
      "});",
      "",
    ].join("\n"),
    "event.json": JSON.stringify({ id: "hi-1", type: "hi.said" }),
  });
  await exec("npm", ["install", "--no-audit", "--no-fund", join(packDir, String(tarball))], { cwd: project });

  // No bun on PATH (only node's folder and the system's), and no CODEX_FLOWS_BUN: what the user has.
  const PATH = [dirname(process.execPath), "/usr/bin", "/bin"].join(":");
  for (const dir of PATH.split(":")) expect(existsSync(join(dir, "bun"))).toBe(false);
  const env = { ...process.env, PATH, CODEX_FLOWS_BUN: undefined };

  const checked = await exec("npx", ["codex-flows", "check"], { cwd: project, env });
  expect(checked.stdout).toContain("ok: 1 flow(s), 1 step(s) checked");
  const fired = await exec("npx", ["codex-flows", "fire", "--event", "event.json"], { cwd: project, env });
  expect(fired.stdout).toMatch(/^ok hi\/main completed in \d+ ms: hi from hi$/m);
  expect(fired.stderr).toMatch(
    new RegExp(`^\\[hi/main\\] bun \\d+\\.\\d+\\.\\d+ at ${realpathSync(project)}/node_modules/`, "m"),
  );
});
