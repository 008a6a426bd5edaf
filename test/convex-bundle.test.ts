// The component's modules bundle for Convex's default runtime: no Node built-ins anywhere in their import graphs.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { build, stop } from "esbuild";
import { afterAll, expect, test } from "vitest";
import { ROOT } from "./helpers.js";

const COMPONENT = join(ROOT, "src", "convex", "component");

// esbuild keeps a service process between builds.
afterAll(() => stop());

test("every module of the component bundles on the neutral platform (what Convex's default runtime offers)", async () => {
  const modules = readdirSync(COMPONENT)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(COMPONENT, name));
  expect(modules.map((path) => path.slice(COMPONENT.length + 1))).toEqual(
    expect.arrayContaining(["convex.config.ts", "schema.ts", "events.ts", "lease.ts", "runs.ts", "queries.ts"]),
  );
  const result = await build({
    entryPoints: [...modules, join(ROOT, "src", "convex", "index.ts")],
    bundle: true,
    write: false,
    outdir: "out",
    platform: "neutral",
    format: "esm",
    // What the app's node_modules provide when Convex bundles it.
    external: ["convex", "convex/*", "ajv", "ajv/*", "ajv-formats"],
    logLevel: "silent",
    metafile: true,
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.filter((path) => path.startsWith("node:"))).toEqual([]);
  expect(inputs.some((path) => path.includes("src/schema/contracts.ts"))).toBe(true);
});
