// The Convex component checks payloads with @cfworker/json-schema (no code generation); the local backend with Ajv.
// They must agree: the same payload matches a step in both, or in neither.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EdgeVM } from "@edge-runtime/vm";
import { build, stop } from "esbuild";
import { afterAll, expect, test } from "vitest";
import { payloadValidator as componentValidator } from "../src/convex/component/match.js";
import { schemaBundle } from "../src/convex/schema-bundle.js";
import { payloadValidator as localValidator } from "../src/schema/payload-schema.js";
import { ROOT } from "./helpers.js";

// esbuild keeps a service process between builds.
afterAll(() => stop());

type Json = unknown;
type Schema = Record<string, Json>;

/** The project's schema files (a Convex manifest carries each with the sibling files its `$ref`s reach). */
function projectSchemas(): string[] {
  const found = ["flows", "schemas", join("test", "fixtures"), join("bench", "fixture")].flatMap((folder) =>
    (readdirSync(join(ROOT, folder), { recursive: true }) as string[])
      .filter((path) => path.endsWith(".schema.json") && !path.split("/").includes("node_modules"))
      .map((path) => join(folder, path)),
  );
  return found.filter((path) => {
    const text = readFileSync(join(ROOT, path), "utf8");
    try {
      JSON.parse(text);
      return true;
    } catch {
      return false; // the deliberately broken fixture
    }
  });
}

function resolve(root: Schema, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/")) return schema;
  let node: Json = root;
  for (const part of ref.slice(2).split("/")) node = (node as Record<string, Json>)?.[part];
  return typeof node === "object" && node !== null ? resolve(root, node as Schema) : schema;
}

/** A value the schema should accept, built from its declared shape (a guess: patterns are ignored). */
function sample(root: Schema, given: Json, depth = 0): Json {
  if (typeof given !== "object" || given === null || depth > 6) return "x";
  const schema = resolve(root, given as Schema);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0 && !schema.type) return sample(root, branches[0], depth + 1);
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" || schema.properties) {
    const value: Record<string, Json> = {};
    for (const [name, property] of Object.entries((schema.properties ?? {}) as Record<string, Json>))
      value[name] = sample(root, property, depth + 1);
    return value;
  }
  if (type === "array") return [sample(root, schema.items, depth + 1)];
  if (type === "integer" || type === "number") return typeof schema.minimum === "number" ? schema.minimum : 1;
  if (type === "boolean") return true;
  if (type === "null") return null;
  if (schema.format === "date-time") return "2026-12-01T12:00:00Z";
  if (schema.format === "uri") return "https://example.com/x";
  if (schema.format === "email") return "someone@example.com";
  return typeof schema.minLength === "number" ? "x".repeat(schema.minLength) : "x";
}

/** The sample, and each way of breaking it one property at a time. */
function payloads(root: Schema): Json[] {
  const valid = sample(root, root);
  const found: Json[] = [valid, null, {}, [], "x", 0, true];
  if (typeof valid === "object" && valid !== null && !Array.isArray(valid)) {
    const object = valid as Record<string, Json>;
    found.push({ ...object, unexpected: 1 });
    for (const name of Object.keys(object)) {
      const { [name]: _dropped, ...without } = object;
      found.push(without);
      for (const wrong of [42, "x", null, [], { nested: true }, "not-a-date", -1, 1.5])
        found.push({ ...object, [name]: wrong });
    }
  }
  return found;
}

test("Ajv (local backend) and @cfworker/json-schema (Convex component) give the same verdicts", () => {
  const files = projectSchemas();
  expect(files.length).toBeGreaterThanOrEqual(12);
  // Not only self-contained ones: some reach sibling files, as synced (schemaBundle).
  let crossFile = 0;
  let accepted = 0;
  let rejected = 0;
  const disagreements: string[] = [];
  for (const file of files) {
    const path = join(ROOT, file);
    const text = readFileSync(path, "utf8");
    const local = localValidator(path);
    const bundle = schemaBundle(path, file);
    if (bundle.schemaFiles) crossFile += 1;
    const component = componentValidator(bundle.schema, { url: bundle.schemaUrl, files: bundle.schemaFiles });
    for (const payload of payloads(JSON.parse(text) as Schema)) {
      const byAjv = local(payload) === true;
      const byComponent = component.validate(payload).valid;
      if (byAjv !== byComponent) disagreements.push(`${file}: ${JSON.stringify(payload)} ajv=${byAjv}`);
      if (byAjv) accepted += 1;
      else rejected += 1;
    }
  }
  expect(disagreements).toEqual([]);
  expect(crossFile).toBeGreaterThanOrEqual(4);
  // Not vacuous: both verdicts occur many times.
  expect(accepted).toBeGreaterThan(20);
  expect(rejected).toBeGreaterThan(100);
});

test("the component's validator runs in the edge runtime, which refuses the code generation Ajv needs", async () => {
  const bundled = await build({
    entryPoints: [join(ROOT, "src", "convex", "component", "match.ts")],
    bundle: true,
    write: false,
    platform: "neutral",
    format: "iife",
    globalName: "match",
    external: ["convex", "convex/*"],
    logLevel: "silent",
  });
  const vm = new EdgeVM();
  vm.evaluate(bundled.outputFiles[0]?.text ?? "");
  const schema = JSON.stringify({ type: "object", required: ["tag"], properties: { tag: { type: "string" } } });
  const verdicts = vm.evaluate(`(() => {
    const validator = match.payloadValidator(${JSON.stringify(schema)});
    return [validator.validate({ tag: "rust-v0.171.0" }).valid, validator.validate({ tag: 5 }).valid];
  })()`);
  expect(verdicts).toEqual([true, false]);
  expect(
    vm.evaluate(
      `(() => { try { new Function("return 1"); return "allowed"; } catch (error) { return String(error); } })()`,
    ),
  ).toMatch(/Code generation from strings disallowed/);
});
