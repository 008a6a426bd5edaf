// Payload schemas are checked against their meta-schema by precompiled validators (codegen/meta-validators.mjs),
// with the errors Ajv's own check gives; compiled through the bundled dist/ajv.cjs in the CLI, and without
// standalone code when the validator cache is off.
import { execFile } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { promisify } from "node:util";
import type Ajv from "ajv";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { FlowConfigError } from "../src/core/errors.js";
import { payloadValidator } from "../src/schema/payload-schema.js";
import { ROOT, runCli, schemaProject, tempDir, writeEvent, writeFiles } from "./helpers.js";

const exec = promisify(execFile);
const require = createRequire(import.meta.url);
const DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema";

/** The message Ajv itself gives for a schema, compiled the way codex-flows compiled it before (meta-schema compiled at run time). */
function ajvOwnMessage(schema: Record<string, unknown>): string | undefined {
  const draft2020 = typeof schema.$schema === "string" && schema.$schema.includes("2020-12");
  const AjvClass: typeof Ajv = require(draft2020 ? "ajv/dist/2020" : "ajv").default;
  const ajv = new AjvClass({ allErrors: true, strict: false });
  require("ajv-formats").default(ajv);
  try {
    ajv.compile(schema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** What payloadValidator says of the schema written to a file of its own; undefined when it compiles. */
function ourMessage(schema: Record<string, unknown>): string | undefined {
  const path = join(tempDir(), "p.schema.json");
  writeFileSync(path, JSON.stringify(schema));
  try {
    payloadValidator(path);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(FlowConfigError);
    expect((error as FlowConfigError).where).toBe(path);
    return (error as Error).message;
  }
}

afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

test("src/schema/generated/meta-*.cjs match Ajv's meta-schemas (regenerate with node codegen/meta-validators.mjs)", async () => {
  await expect(
    exec(process.execPath, ["codegen/meta-validators.mjs", "--check"], { cwd: ROOT }),
  ).resolves.toBeDefined();
});

describe("the precompiled meta-schema check says what Ajv's own check says", () => {
  beforeEach(() => {
    vi.stubEnv("CODEX_FLOWS_CACHE_DIR", "off");
  });
  test.each<[string, Record<string, unknown>]>([
    ["a misspelt type", { type: "objekt" }],
    ["a misspelt nested type", { type: "object", properties: { n: { type: "integr" } } }],
    ["required not an array", { required: "n" }],
    ["a negative minLength", { minLength: -1 }],
    ["items a number", { items: 5 }],
    ["a pattern that is not a string", { pattern: 5 }],
    ["a pattern that is not a regular expression", { pattern: "[" }],
    ["several errors at once", { type: "objekt", minimum: "1", properties: { a: { enum: 3 } } }],
    ["the draft-07 $schema with #", { $schema: "http://json-schema.org/draft-07/schema#", maxItems: "2" }],
    ["the draft-07 $schema without #", { $schema: "http://json-schema.org/draft-07/schema", type: 1 }],
    ["the unversioned $schema", { $schema: "http://json-schema.org/schema", type: "x" }],
    ["an unknown $schema", { $schema: "http://json-schema.org/draft-04/schema#", type: "object" }],
    ["a $schema that is not a string", { $schema: 7, type: "object" }],
    ["a 2020-12 misspelt type", { $schema: DRAFT_2020, type: "objekt" }],
    ["a 2020-12 prefixItems a number", { $schema: DRAFT_2020, prefixItems: 5 }],
    ["a 2020-12 bad $defs entry", { $schema: DRAFT_2020, $defs: { a: { type: 1 } }, $ref: "#/$defs/a" }],
    ["a 2020-12 $ref not a string", { $schema: DRAFT_2020, properties: { a: { $ref: 5 } } }],
    ["a 2020-12 $schema with #", { $schema: `${DRAFT_2020}#`, minItems: "x", unevaluatedProperties: 3 }],
    ["a 2020-12 $dynamicRef not a string", { $schema: DRAFT_2020, items: { $dynamicRef: [] } }],
  ])("%s", (_what, schema) => {
    const expected = ajvOwnMessage(schema);
    expect(expected).toBeDefined();
    expect(ourMessage(schema)).toBe(`invalid JSON Schema: ${expected}`);
  });

  test.each<[string, Record<string, unknown>, unknown, unknown]>([
    ["draft-07", { type: "object", required: ["n"], properties: { n: { type: "integer" } } }, { n: 1 }, { n: "x" }],
    ["draft-07 with a format", { type: "string", format: "email" }, "a@b.dev", "nope"],
    [
      "2020-12 with $defs, prefixItems and unevaluatedProperties",
      {
        $schema: DRAFT_2020,
        $defs: { n: { type: "integer" } },
        type: "object",
        properties: { pair: { prefixItems: [{ $ref: "#/$defs/n" }, { type: "string" }] } },
        unevaluatedProperties: false,
      },
      { pair: [1, "a"] },
      { pair: [1, "a"], extra: true },
    ],
    [
      "draft-07 whose property $refs the draft-07 meta-schema",
      { type: "object", properties: { inner: { $ref: "http://json-schema.org/draft-07/schema#" } } },
      { inner: { type: "string" } },
      { inner: { type: 5 } },
    ],
    [
      "2020-12 whose property $refs the 2020-12 meta-schema",
      { $schema: DRAFT_2020, type: "object", properties: { inner: { $ref: DRAFT_2020 } } },
      { inner: { minItems: 1 } },
      { inner: { minItems: "x" } },
    ],
    ["draft-07 with a format deep inside", { items: { anyOf: [{ format: "date" }] } }, ["2026-01-02"], ["soon"]],
  ])("a valid %s schema compiles and validates", (_what, schema, good, bad) => {
    expect(ajvOwnMessage(schema)).toBeUndefined();
    // Ajv warns of a format it does not know: every format used must have been added.
    const warn = vi.spyOn(console, "warn");
    const path = join(tempDir(), "p.schema.json");
    writeFileSync(path, JSON.stringify(schema));
    const validate = payloadValidator(path);
    expect(validate(good)).toBe(true);
    expect(validate(bad)).toBe(false);
    expect(warn).not.toHaveBeenCalled();
  });

  test("a $ref'd sibling that breaks its meta-schema is not registered, so the $ref is what is reported", () => {
    const dir = writeFiles(tempDir(), {
      "main.schema.json": JSON.stringify({ $ref: "common.schema.json" }),
      "common.schema.json": JSON.stringify({ type: "objekt" }),
    });
    expect(() => payloadValidator(join(dir, "main.schema.json"))).toThrow(
      /invalid JSON Schema: can't resolve reference common\.schema\.json/,
    );
  });
});

describe("standalone code is built only for the validator cache", () => {
  const schema = { type: "object", required: ["n"], properties: { n: { type: "integer" } } };
  /** A schema no other test compiled, so payloadValidator really compiles it. */
  function freshSchemaFile(): string {
    const path = join(tempDir(), "p.schema.json");
    writeFileSync(path, JSON.stringify({ ...schema, description: `fresh ${Math.random()}` }));
    return path;
  }

  test("cache off: the compiled validator carries no source, and nothing is stored", () => {
    vi.stubEnv("CODEX_FLOWS_CACHE_DIR", "off");
    const validate = payloadValidator(freshSchemaFile());
    expect(validate({ n: 1 })).toBe(true);
    expect((validate as { source?: unknown }).source).toBeUndefined();
  });

  test("cache on: the source is built and stored", () => {
    const cacheDir = tempDir();
    vi.stubEnv("CODEX_FLOWS_CACHE_DIR", cacheDir);
    const validate = payloadValidator(freshSchemaFile());
    expect(validate({ n: "x" })).toBe(false);
    expect(typeof (validate as { source?: unknown }).source).toBe("object");
    expect(readdirSync(join(cacheDir, "validators")).filter((name) => name.endsWith(".cjs"))).toHaveLength(1);
  });
});

describe("the built CLI compiles with the bundled dist/ajv.cjs", () => {
  /** The files Node loaded for one `fire --dry-run`, from NODE_DEBUG=module. */
  async function loadedFiles(dir: string, payload: unknown, env: NodeJS.ProcessEnv) {
    const event = writeEvent(tempDir(), { id: "e", type: "t", payload });
    const result = await runCli(["fire", "--dry-run", "--cwd", dir, "--event", event], {
      env: { ...env, NODE_DEBUG: "module" },
    });
    const loaded = [...result.stderr.matchAll(/^MODULE \d+: load "([^"]+)"/gm)].map((match) => String(match[1]));
    return { code: result.code, stdout: result.stdout, loaded };
  }

  test("a validator-cache miss loads dist/ajv.cjs and none of Ajv's own files but its runtime helpers", async () => {
    const dir = schemaProject(
      JSON.stringify({ type: "object", required: ["n"], properties: { n: { type: "string" } } }),
    );
    const cold = await loadedFiles(dir, { n: 1 }, { CODEX_FLOWS_CACHE_DIR: "off" });
    expect(cold.code).toBe(2);
    expect(cold.stdout).toContain("payload invalid at /n: must be string");
    expect(cold.loaded.some((file) => file.endsWith("/ajv.cjs"))).toBe(true);
    const fromAjvPackages = cold.loaded.filter((file) => /node_modules\/ajv(-formats)?\//.test(file));
    expect(fromAjvPackages.filter((file) => !/\/ajv\/dist\/runtime\//.test(file))).toEqual([]);

    // From the validator cache: Ajv is not loaded at all.
    const cacheDir = tempDir();
    await loadedFiles(dir, { n: "a" }, { CODEX_FLOWS_CACHE_DIR: cacheDir });
    const cached = await loadedFiles(dir, { n: "a" }, { CODEX_FLOWS_CACHE_DIR: cacheDir });
    expect(cached.code).toBe(0);
    expect(cached.loaded.some((file) => file.endsWith("/ajv.cjs"))).toBe(false);
  });

  test("a schema that breaks its meta-schema is reported with Ajv's words and the file", async () => {
    const dir = schemaProject('{"type": "object", "properties": {"n": {"type": "integr"}}}');
    const listed = await runCli(["list", "--cwd", dir], { env: { CODEX_FLOWS_CACHE_DIR: "off" } });
    expect(listed.stdout).toContain(
      `flows/x/flow.toml: steps[0].trigger.schema: ${join(dir, "flows/x/p.schema.json")}: invalid JSON Schema: schema is invalid: data/properties/n/type must be equal to one of the allowed values, data/properties/n/type must be array, data/properties/n/type must match a schema in anyOf\n`,
    );
  });
});
