// `codex-flows run` runs from its own bundle (dist/cli-run.cjs, src/cli-run.ts), which behaves as the full CLI does.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import {
  CLI,
  DIST,
  oneStepManifest,
  ROOT,
  resultScript,
  runProcess,
  tempDir,
  writeEvent,
  writeFiles,
} from "./helpers.js";

function project(): { dir: string; event: string } {
  const dir = writeFiles(tempDir(), {
    "flows/x/flow.toml": oneStepManifest("x", "main", "t"),
    "flows/x/exec/main.ts": resultScript({ status: "completed", message: "from the run bundle" }),
  });
  return { dir, event: writeEvent(dir, { id: "e", type: "t" }) };
}

test("the loader runs `run` from cli-run.cjs: it works in an install without cli-main.cjs", async () => {
  const install = tempDir("codex-flows-run-install-");
  mkdirSync(join(install, "dist"));
  for (const file of ["cli.cjs", "cli-run.cjs", "ajv.cjs"]) copyFileSync(join(DIST, file), join(install, "dist", file));
  const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: tempDir(), NODE_PATH: join(ROOT, "node_modules") };
  const bin = join(install, "dist", "cli.cjs");
  const { dir, event } = project();
  for (let start = 0; start < 2; start += 1) {
    // Twice: the first start writes the code cache, the second runs from it.
    const run = await runProcess(process.execPath, [bin, "run", "x", "main", "--cwd", dir, "--event", event], { env });
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("x/main completed");
    expect(run.stdout).toContain("from the run bundle");
    expect(run.code).toBe(0);
  }
  // Every other command needs the full bundle.
  const list = await runProcess(process.execPath, [bin, "list", "--cwd", dir], { env });
  expect(list.code).not.toBe(0);
  expect(list.stderr).toContain("cli-main.cjs");
});

test.each([
  ["its help", ["run", "--help"]],
  ["a missing argument", ["run", "x"]],
  ["a missing --event", ["run", "x", "main"]],
  ["a --json error", ["run", "nope", "main", "--event", "missing.json", "--json"]],
  ["the version", ["run", "--version"]],
])("`run` from its own bundle and from the full one: the same for %s", async (_what, args) => {
  const { dir } = project();
  const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: "off" };
  const full = await runProcess(process.execPath, [join(DIST, "cli-main.cjs"), ...args, "--cwd", dir], { env });
  const own = await runProcess(process.execPath, [CLI, ...args, "--cwd", dir], { env });
  expect(own).toEqual(full);
  expect(`${full.stdout}${full.stderr}`).not.toBe("");
});

test("the run bundle, like the full one, has no import() but core/import-module.ts's fallback", () => {
  // Code compiled from the V8 code cache cannot import(); see core/import-module.ts.
  expect(readFileSync(join(DIST, "cli-run.cjs"), "utf8").match(/\bimport\(/g)).toHaveLength(1);
});
