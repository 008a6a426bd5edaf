// Builds the package once per test run into its own folder, so CLI tests run what `npx codex-flows` runs
// and parallel test runs never see each other's half-written build.
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build, type Options } from "tsup";
import type { TestProject } from "vitest/node";
import config from "../tsup.config.js";

declare module "vitest" {
  export interface ProvidedContext {
    distDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  // Inside the repo, so the built files resolve their dependencies from its node_modules.
  const outDir = mkdtempSync(join(process.cwd(), ".test-dist-"));
  for (const options of config as Options[]) {
    await build({ ...options, outDir, dts: false, clean: false, silent: true, config: false });
  }
  project.provide("distDir", outDir);
  return () => rmSync(outDir, { recursive: true, force: true });
}
