// createFire: the typed wrapper runs the engine on a discovered project, with generated types for its map.
import { describe, expect, test } from "vitest";
import { createFire } from "../src/engine/typed-fire.js";
import { runCli, tempDir, writeFiles } from "./helpers.js";
import { installPackage } from "./step-project.js";

/** A project with one flow whose step greets `name` from a schema-checked payload, and its generated types. */
async function greetingProject(): Promise<string> {
  const dir = tempDir("codex-flows-typed-fire-");
  installPackage(dir);
  writeFiles(dir, {
    "flows/greeter/flow.toml": [
      'name = "greeter"',
      "version = 1",
      "[[steps]]",
      'name = "greet"',
      'runner = "bun"',
      'script = "exec/greet.ts"',
      "[steps.trigger]",
      'type = "greeter.greet"',
      'schema = "schemas/greeting.schema.json"',
      "",
    ].join("\n"),
    "flows/greeter/schemas/greeting.schema.json": JSON.stringify({
      type: "object",
      required: ["name"],
      properties: { name: { type: "string", minLength: 1 } },
      additionalProperties: false,
    }),
    "flows/greeter/exec/greet.ts": `
      import { defineStep } from "codex-flows/step";
      import type { GreetContext } from "../flow.gen.js";
      await defineStep<GreetContext>((ctx) => ({ status: "completed", message: "hi " + ctx.flow.event.payload.name }));
    `,
  });
  const generated = await runCli(["codegen", "--cwd", dir]);
  expect(generated.code, generated.stderr).toBe(0);
  return dir;
}

/** What flows/flow-events.gen.ts declares for this project (the type test compiles the real file). */
interface GreeterEvents {
  "greeter.greet": { name: string };
}

describe("createFire", () => {
  test("fires a typed event through discovery and the engine", async () => {
    const dir = await greetingProject();
    const fire = createFire<GreeterEvents>({ cwd: dir });
    const report = await fire("greeter.greet", { name: "ada" }, { id: "greet-1", source: "test" });
    expect(report.event).toMatchObject({
      id: "greet-1",
      type: "greeter.greet",
      source: "test",
      payload: { name: "ada" },
    });
    expect(typeof report.event.receivedAt).toBe("string");
    expect(report.runs).toMatchObject([
      { flow: "greeter", step: "greet", status: "completed", result: { message: "hi ada" } },
    ]);
    expect(report.discoveryErrors).toEqual([]);
  });

  test("a payload the schema rejects at run time runs nothing and says why", async () => {
    const dir = await greetingProject();
    const fire = createFire<GreeterEvents>({ cwd: dir });
    const report = await fire("greeter.greet", { name: "" });
    expect(report.runs).toEqual([]);
    expect(report.skipped[0]?.reason).toContain("payload invalid at /name");
    expect(report.event.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("broken flows are reported beside the runs of the healthy ones", async () => {
    const dir = await greetingProject();
    writeFiles(dir, { "flows/broken/flow.toml": 'name = "broken"\n' });
    const report = await createFire<GreeterEvents>({ cwd: dir })("greeter.greet", { name: "bo" });
    expect(report.runs).toHaveLength(1);
    expect(report.discoveryErrors).toMatchObject([{ field: "steps", message: "is required" }]);
  });
});
