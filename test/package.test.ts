// The published artifact: `npm pack`, install the tarball into an empty project, run the CLI from there.
import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
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
