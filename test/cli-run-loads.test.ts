// What `codex-flows run` loads before its step starts (bench P2): from node_modules only the Ajv runtime
// helpers a cached validator calls, and none of the Node modules it has no use for.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { CLI, oneStepManifest, resultScript, runCli, tempDir, writeEvent, writeFiles } from "./helpers.js";

test("a cached `run` loads the CLI and its validator's Ajv helper, not node:fs/promises, perf_hooks or readline", async () => {
  const dir = writeFiles(tempDir(), {
    "flows/x/flow.toml": oneStepManifest("x", "main", "t").replace(
      '[steps.trigger]\ntype = "t"',
      '[steps.trigger]\ntype = "t"\nschema = "p.schema.json"',
    ),
    "flows/x/exec/main.ts": resultScript({ status: "completed", message: "ran" }),
    "flows/x/p.schema.json": JSON.stringify({ type: "object", properties: { s: { type: "string", minLength: 1 } } }),
  });
  const event = writeEvent(tempDir(), { id: "e", type: "t", payload: { s: "a" } });
  // Writes Node's list of the internal modules it loaded, at exit.
  const preload = join(tempDir(), "module-list.cjs");
  const list = join(dir, "modules.txt");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join("\\n")));\n`,
  );
  const env = { CODEX_FLOWS_CACHE_DIR: tempDir() };
  expect((await runCli(["run", "x", "main", "--cwd", dir, "--event", event], { env })).code).toBe(0);

  const run = await runCli(["run", "x", "main", "--cwd", dir, "--event", event], {
    env: { ...env, NODE_DEBUG: "module", NODE_OPTIONS: `--require ${preload}` },
  });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("ran");
  const files = [...run.stderr.matchAll(/^MODULE \d+: load "([^"]+)"/gm)].map((match) => String(match[1]));
  // minLength: the cached validator requires Ajv's ucs2length (the contract validators' copy is bundled).
  const named = files.filter((file) => file !== preload).map((file) => file.replace(/.*node_modules\//, ""));
  expect(named).toEqual([CLI, "ajv/dist/runtime/ucs2length.js"]);
  const internal = (await import("node:fs")).readFileSync(list, "utf8").split("\n");
  for (const unused of [
    "NativeModule fs/promises",
    "NativeModule perf_hooks",
    "NativeModule internal/readline/interface",
  ]) {
    expect(internal).not.toContain(unused);
  }
  expect(internal).toContain("NativeModule child_process");
});
