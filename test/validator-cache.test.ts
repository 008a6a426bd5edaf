// Precompiled validators: the contract validators are not stale, and payload validators cached on disk
// are keyed by content, used when present, and skipped when the cache is off or broken.
import { execFile } from "node:child_process";
import { readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { ROOT, runCli, tempDir, writeEvent, writeFiles } from "./helpers.js";

const exec = promisify(execFile);

test("src/schema/generated/contract-validators.js matches schemas/ (regenerate with node codegen/contract-validators.mjs)", async () => {
  await expect(
    exec(process.execPath, ["codegen/contract-validators.mjs", "--check"], { cwd: ROOT }),
  ).resolves.toBeDefined();
});

function project(schema: object): string {
  return writeFiles(tempDir(), {
    "flows/typed/flow.toml":
      'name = "typed"\n[[steps]]\nname = "main"\nrunner = "bun"\nscript = "main.ts"\n[steps.trigger]\ntype = "t"\nschema = "s.schema.json"\n',
    "flows/typed/main.ts": 'console.log("FLOW_RESULT " + JSON.stringify({ status: "completed" }));\n',
    "flows/typed/s.schema.json": JSON.stringify(schema),
  });
}

async function dryRun(cwd: string, payload: object, cacheDir: string) {
  const event = writeEvent(tempDir(), { id: "c", type: "t", payload });
  const result = await runCli(["fire", "--dry-run", "--json", "--cwd", cwd, "--event", event], {
    env: { CODEX_FLOWS_CACHE_DIR: cacheDir },
  });
  return (JSON.parse(result.stdout) as { wouldRun: unknown[] }).wouldRun.length === 1;
}

const cached = (cacheDir: string) => readdirSync(join(cacheDir, "validators")).filter((name) => name.endsWith(".cjs"));

test("a compiled payload validator is stored once and read back on the next run", async () => {
  const cacheDir = tempDir();
  const dir = project({ type: "object", required: ["n"], properties: { n: { type: "integer" } } });
  expect(await dryRun(dir, { n: 1 }, cacheDir)).toBe(true);
  expect(await dryRun(dir, { n: "x" }, cacheDir)).toBe(false);
  const files = cached(cacheDir);
  expect(files).toHaveLength(1);

  // Proof the next run reads the cache: replace the stored code with one that accepts anything.
  writeFileSync(join(cacheDir, "validators", String(files[0])), "module.exports = () => true;");
  expect(await dryRun(dir, { n: "x" }, cacheDir)).toBe(true);
});

test("changing the schema changes the key, so a stale validator is never used", async () => {
  const cacheDir = tempDir();
  const dir = project({ type: "object", properties: { n: { type: "integer" } } });
  expect(await dryRun(dir, { n: "x" }, cacheDir)).toBe(false);
  writeFileSync(join(dir, "flows/typed/s.schema.json"), JSON.stringify({ type: "object" }));
  expect(await dryRun(dir, { n: "x" }, cacheDir)).toBe(true);
  expect(cached(cacheDir)).toHaveLength(2);
});

test("a corrupt cache entry falls back to compiling; CODEX_FLOWS_CACHE_DIR=off stores nothing", async () => {
  const cacheDir = tempDir();
  const dir = project({ type: "object", required: ["n"] });
  expect(await dryRun(dir, {}, cacheDir)).toBe(false);
  writeFileSync(join(cacheDir, "validators", String(cached(cacheDir)[0])), "this is { not javascript");
  expect(await dryRun(dir, {}, cacheDir)).toBe(false);
  expect(await dryRun(dir, { n: 1 }, cacheDir)).toBe(true);

  const home = tempDir();
  const event = writeEvent(tempDir(), { id: "c", type: "t", payload: { n: 1 } });
  await runCli(["fire", "--dry-run", "--cwd", dir, "--event", event], {
    env: { CODEX_FLOWS_CACHE_DIR: "off", HOME: home, XDG_CACHE_HOME: join(home, ".cache") },
  });
  expect(readdirSync(home)).toEqual([]);
});

test("in one long-lived process, a change to a $ref'd sibling schema is picked up", async () => {
  const { payloadValidator } = await import("../src/schema/payload-schema.js");
  const dir = writeFiles(tempDir(), {
    "main.schema.json": JSON.stringify({ $ref: "common.schema.json" }),
    "common.schema.json": JSON.stringify({ enum: ["a", "b"] }),
  });
  expect(payloadValidator(join(dir, "main.schema.json"))("c")).toBe(false);
  writeFileSync(join(dir, "common.schema.json"), JSON.stringify({ enum: ["a", "b", "c"] }));
  utimesSync(join(dir, "common.schema.json"), new Date(), new Date(Date.now() + 5_000));
  expect(payloadValidator(join(dir, "main.schema.json"))("c")).toBe(true);
});
