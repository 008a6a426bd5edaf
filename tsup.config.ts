// Build: the engine API and step helpers as ESM with type declarations, and the CLI as one CommonJS file.
import { createRequire } from "node:module";
import { defineConfig, type Options } from "tsup";

const ajvVersion: string = createRequire(import.meta.url)("ajv/package.json").version;

const shared: Options = {
  target: "node20",
  platform: "node",
  sourcemap: false,
  // Small pure-JS dependencies on the CLI's start-up path are bundled: resolving and linking each
  // package's files at run time costs more than parsing them (bench P2).
  noExternal: ["cac", "@iarna/toml", "import-meta-resolve", "p-limit", "yocto-queue", "picocolors"],
};

/**
 * For the files that compile payload schemas (src/schema/json-schema.ts): Ajv is dist/ajv.cjs, and the
 * version bundled there is part of every validator-cache key without loading it.
 */
const ajvDefines: Options["define"] = {
  __CODEX_FLOWS_AJV_BUNDLE__: JSON.stringify("./ajv.cjs"),
  __CODEX_FLOWS_AJV_VERSION__: JSON.stringify(ajvVersion),
};

export default defineConfig([
  {
    ...shared,
    define: ajvDefines,
    // `convex`: the component's typed client for Convex app code (codex-flows/convex).
    entry: { index: "src/index.ts", step: "src/step/index.ts", convex: "src/convex/index.ts" },
    external: ["convex"],
    format: ["esm"],
    dts: true,
    splitting: true,
  },
  {
    ...shared,
    // CommonJS because Node 20 loads one CJS file ~9 ms faster than an ESM module graph (bench P2:
    // `codex-flows run` went from 98 to 89 ms); V8 only pre-parses the commands a run does not use.
    // `cli` is a small loader that runs `cli-main` from a V8 code cache (src/cli-loader.ts), or for
    // `run` the bundle of that command alone, `cli-run`.
    entry: { cli: "src/cli-loader.ts", "cli-main": "src/cli.ts", "cli-run": "src/cli-run.ts" },
    define: ajvDefines,
    // The runtime helper the precompiled contract validators use (src/schema/generated/), found in
    // node_modules at every start otherwise.
    noExternal: [...(shared.noExternal ?? []), /^ajv\/dist\/runtime\//],
    format: ["cjs"],
    splitting: false,
    shims: true,
  },
  {
    ...shared,
    // Ajv, ajv-formats and the precompiled meta-schema checks in one CommonJS file, required only on a
    // validator-cache miss: one file loads in ~22 ms where Ajv's ~60 files from node_modules take ~50 ms
    // (bench P2, cache off). Validators it compiles still require Ajv's runtime helpers and
    // ajv-formats' formats from node_modules, so package.json pins both exactly: a payload checked on a
    // first run (bundled copies) and on later cached runs (installed copies) meets the same code.
    entry: { ajv: "src/schema/ajv-bundle.cjs" },
    format: ["cjs"],
    noExternal: ["ajv", "ajv-formats", "fast-deep-equal", "fast-uri", "json-schema-traverse", "require-from-string"],
    // Half the bytes to parse: ~3 ms of its load.
    minify: true,
    splitting: false,
  },
  {
    ...shared,
    // The Convex component, one file per module under dist/convex/component/ (codex-flows/convex.config.js):
    // the Convex CLI bundles a component from its folder, each module's exported functions by file name.
    // Each file carries the helpers it needs (no shared chunks outside the folder); convex, the runtime
    // helpers of the precompiled contract validators (ajv) and @cfworker/json-schema stay imports,
    // resolved from the app's node_modules when Convex bundles it.
    entry: Object.fromEntries(
      [
        "convex.config",
        "schema",
        "events",
        "lease",
        "queries",
        "runs",
        "_generated/api",
        "_generated/server",
        "_generated/dataModel",
        "_generated/component",
      ].map((name) => [`convex/component/${name}`, `src/convex/component/${name}.ts`]),
    ),
    platform: "neutral",
    format: ["esm"],
    external: ["convex", "ajv", "ajv-formats", "@cfworker/json-schema"],
    splitting: false,
    dts: { entry: { "convex/component/convex.config": "src/convex/component/convex.config.ts" } },
  },
  {
    ...shared,
    // The spawn helper (src/process/spawner): one file that Bun runs beside the CLI and the library.
    entry: { spawner: "src/process/spawner/spawner-main.ts" },
    format: ["esm"],
    splitting: false,
  },
]);
