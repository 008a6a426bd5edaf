// Precompiled validators: the contract validators are not stale, and payload validators cached on disk
// are keyed by content, used when present, and skipped when the cache is off or broken.
import { execFile } from "node:child_process";
import { readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { bigPayload, bigSchema } from "../bench/big-schema.mjs";
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

test("sibling refs resolve whatever characters the file names hold, and only reached files count", async () => {
  const { payloadValidator } = await import("../src/schema/payload-schema.js");
  const dir = writeFiles(tempDir(), {
    "main.schema.json": JSON.stringify({ $ref: "odd$name (1).schema.json#/definitions/v" }),
    "odd$name (1).schema.json": JSON.stringify({ definitions: { v: { enum: ["a"] } } }),
    "broken.json": "{ not json",
  });
  const validate = payloadValidator(join(dir, "main.schema.json"));
  expect([validate("a"), validate("b")]).toEqual([true, false]);
});

describe("identical schemas in several flows (issue 13, item 22)", () => {
  const big = JSON.stringify(bigSchema({ events: 6 }));
  const withId = JSON.stringify({ ...bigSchema({ events: 6 }), $id: "https://example.com/webhooks.json" });

  /** Flows whose schemas folders hold the same big schema and wrapper, next to a sibling that differs. */
  function flows(count: number, files: Record<string, string>): string {
    const all: Record<string, string> = {};
    for (let n = 0; n < count; n += 1) {
      all[`flows/f${n}/flow.toml`] =
        `name = "f${n}"\n[[steps]]\nname = "main"\nrunner = "bun"\nscript = "main.ts"\n` +
        '[steps.trigger]\ntype = "github.e1"\nschema = "schemas/event.schema.json"\n';
      all[`flows/f${n}/main.ts`] = 'console.log("FLOW_RESULT " + JSON.stringify({ status: "completed" }));\n';
      all[`flows/f${n}/schemas/notes.json`] = JSON.stringify({ flow: n });
      for (const [name, text] of Object.entries(files)) all[`flows/f${n}/schemas/${name}`] = text;
    }
    return writeFiles(tempDir(), all);
  }

  test("in one process, the same content in different folders is compiled once, by file name and by $id", async () => {
    const { payloadValidator } = await import("../src/schema/payload-schema.js");
    const byName = flows(3, {
      "big.schema.json": big,
      "event.schema.json": JSON.stringify({ $ref: "big.schema.json#/definitions/e1_event" }),
    });
    const byId = flows(2, {
      "webhooks.schema.json": withId,
      "event.schema.json": JSON.stringify({ $ref: "https://example.com/webhooks.json#/definitions/e1_event" }),
    });
    for (const dir of [byName, byId]) {
      const validators = readdirSync(join(dir, "flows")).map((flow) =>
        payloadValidator(join(dir, "flows", flow, "schemas/event.schema.json")),
      );
      for (const validate of validators) expect(validate).toBe(validators[0]);
      expect(validators[0]?.(bigPayload(1, 2, { fields: 24 }))).toBe(true);
      expect(validators[0]?.({ ...bigPayload(1, 2), sender: 1 })).toBe(false);
    }
  });

  test("a cold check stores one validator for all of them, and every flow reads it back", async () => {
    const cacheDir = tempDir();
    const dir = flows(4, {
      "big.schema.json": big,
      "event.schema.json": JSON.stringify({ $ref: "big.schema.json#/definitions/e1_event" }),
    });
    const check = await runCli(["check", "--cwd", dir], { env: { CODEX_FLOWS_CACHE_DIR: cacheDir } });
    expect(check.stdout).toContain("ok: 4 flow(s), 4 step(s) checked");
    const files = cached(cacheDir);
    expect(files).toHaveLength(1);

    // Proof every flow uses the one entry: make it accept anything, and an invalid payload matches all four.
    writeFileSync(join(cacheDir, "validators", String(files[0])), "module.exports = () => true;");
    const event = writeEvent(tempDir(), { id: "c", type: "github.e1", payload: { action: "nope" } });
    const result = await runCli(["fire", "--dry-run", "--json", "--cwd", dir, "--event", event], {
      env: { CODEX_FLOWS_CACHE_DIR: cacheDir },
    });
    expect((JSON.parse(result.stdout) as { wouldRun: unknown[] }).wouldRun).toHaveLength(4);
  });
});
