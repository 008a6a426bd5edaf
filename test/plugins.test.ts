// Third-party runners: a `codex-flows-runner-<name>` package found in the project's node_modules.
import { join } from "node:path";
import { expect, test } from "vitest";
import { FIXTURES, jsonOf, runCli, tempDir, writeEvent } from "./helpers.js";

const project = join(FIXTURES, "plugin-project");

test('a step with runner = "node" runs through the codex-flows-runner-node package', async () => {
  const file = writeEvent(tempDir(), { id: "plug-1", type: "plugin.test" });
  const result = await runCli(["run", "via-plugin", "main", "--cwd", project, "--event", file, "--json"]);
  expect(result.code).toBe(0);
  expect(jsonOf<{ result: object }>(result).result).toEqual({
    status: "completed",
    message: "node ran via-plugin/main for plug-1 via codex-flows-runner-node",
  });
});

test("check loads every runner package and names one that exports no runner", async () => {
  const result = await runCli(["check", "--cwd", project, "--json"]);
  expect(result.code).toBe(2);
  expect(jsonOf<{ errors: object[] }>(result).errors).toEqual([
    {
      path: join(project, "flows/via-broken-plugin/flow.toml"),
      field: "steps[0].runner",
      message:
        "runner package codex-flows-runner-broken does not export a runner (export default defineRunner({ name, run(invocation, io) { ... } }) from the package entry)",
    },
  ]);
});

test("list shows plugin-run steps with their runner name", async () => {
  const listed = jsonOf<{ flows: { name: string; steps: { runner: string }[] }[] }>(
    await runCli(["list", "--cwd", project, "--json"]),
  );
  expect(listed.flows.map((flow) => [flow.name, flow.steps[0]?.runner])).toEqual([
    ["via-broken-plugin", "broken"],
    ["via-plugin", "node"],
    ["via-stubborn-plugin", "stubborn"],
  ]);
});

test("a runner that ignores its abort signal is given up on, so the step's timeout still holds", async () => {
  const file = writeEvent(tempDir(), { id: "stuck", type: "plugin.stubborn" });
  const result = await runCli(["run", "via-stubborn-plugin", "main", "--cwd", project, "--event", file, "--json"]);
  expect(result.code).toBe(1);
  expect(jsonOf<{ result: object }>(result).result).toEqual({
    status: "failed",
    message: `timed out after 500 ms (raise steps[0].timeout_ms in ${join(project, "flows/via-stubborn-plugin/flow.toml")} if the step needs longer)`,
  });
});
