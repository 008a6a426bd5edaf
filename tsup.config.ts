// Build: the CLI, the engine API and the step helpers, as ESM with type declarations for the API entries.
import { defineConfig } from "tsup";

export default defineConfig({
  entry: { cli: "src/cli.ts", index: "src/index.ts", step: "src/step.ts" },
  format: ["esm"],
  target: "node20",
  platform: "node",
  dts: { entry: { index: "src/index.ts", step: "src/step.ts" } },
  splitting: true,
  sourcemap: false,
  clean: true,
});
