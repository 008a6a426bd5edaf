// `codex-flows/step` under real Bun, imported from an installed package: defineStep, configValue, enabled, next.
import { describe, expect, test } from "vitest";
import { configValue, enabled, envOverrideName } from "../src/step/step-config.js";
import { jsonOf, runCli, tempDir, writeFiles } from "./helpers.js";
import { contextJson, installPackage, lastResult, runBun } from "./step-project.js";

/** A project with codex-flows installed and one script at exec/step.ts. */
function project(script: string): string {
  const dir = tempDir("codex-flows-step-");
  installPackage(dir);
  writeFiles(dir, { "exec/step.ts": script });
  return dir;
}

describe("defineStep under Bun", () => {
  test("a returned result becomes the FLOW_RESULT line; the handler's own output is left alone", async () => {
    const dir = project(`
      import { defineStep } from "codex-flows/step";
      await defineStep((ctx) => {
        console.log("working on " + ctx.flow.event.payload.name);
        process.stdout.write("no newline yet");
        return { status: "changed", message: "done", next: [{ type: "demo.next", payload: { n: 1 } }] };
      });
    `);
    const run = await runBun("exec/step.ts", dir, contextJson({ name: "ada" }));
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      'working on ada\nno newline yet\nFLOW_RESULT {"status":"changed","message":"done","next":[{"type":"demo.next","payload":{"n":1}}]}\n',
    );
  });

  test("a thrown error becomes a failed result, with the stack on stderr and exit code 1", async () => {
    const dir = project(`
      import { defineStep } from "codex-flows/step";
      await defineStep(async () => {
        console.log("before the error");
        throw new Error("the upstream tag is missing");
      });
    `);
    const run = await runBun("exec/step.ts", dir, contextJson({}));
    expect(run.code).toBe(1);
    // No blank line is added when the handler's output already ended its line.
    expect(run.stdout).toBe(
      'before the error\n\nFLOW_RESULT {"status":"failed","message":"the upstream tag is missing"}\n',
    );
    expect(run.stderr).toContain("Error: the upstream tag is missing");
    expect(run.stderr).toContain("exec/step.ts");
  });

  test("a run context that is not valid fails before the handler runs", async () => {
    const dir = project(`
      import { defineStep } from "codex-flows/step";
      await defineStep(() => { console.log("handler ran"); return { status: "completed" }; });
    `);
    const run = await runBun("exec/step.ts", dir, JSON.stringify({ flow: { name: "demo" } }));
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain("handler ran");
    expect(lastResult(run.stdout).message).toMatch(
      /^stdin: not a valid run context: \/flow: must have required property/,
    );
  });

  test("a handler returning something that is not a result fails with a message saying so", async () => {
    const dir = project(`
      import { defineStep } from "codex-flows/step";
      await defineStep(() => ({ status: "finished" }) as never);
    `);
    const run = await runBun("exec/step.ts", dir, contextJson({}));
    expect(run.code).toBe(1);
    expect(lastResult(run.stdout)).toMatchObject({ status: "failed" });
    expect(String(lastResult(run.stdout).message)).toContain("the step handler returned an invalid result: /status");
  });

  const configScript = `
    import { configValue, defineStep, enabled } from "codex-flows/step";
    await defineStep((ctx) => ({
      status: "completed",
      artifacts: {
        push: enabled(ctx, "push"),
        publish: enabled(ctx, "publish"),
        openPr: enabled(ctx, "open-pr"),
        channel: configValue(ctx, "channel", "stable"),
        retries: configValue(ctx, "retries", 3),
      },
    }));
  `;

  test("config values, with fallbacks for absent keys", async () => {
    const dir = project(configScript);
    const run = await runBun("exec/step.ts", dir, contextJson({}, { push: false, publish: true, channel: "beta" }), {
      CODEX_FLOW_PUSH: "",
      CODEX_FLOW_PUBLISH: "",
      CODEX_FLOW_OPEN_PR: "",
    });
    expect(run.code).toBe(0);
    expect(lastResult(run.stdout).artifacts).toEqual({
      push: false,
      publish: true,
      openPr: false,
      channel: "beta",
      retries: 3,
    });
  });

  test("CODEX_FLOW_<KEY>=1|0 in the environment overrides the config switch", async () => {
    const dir = project(configScript);
    const run = await runBun("exec/step.ts", dir, contextJson({}, { push: false, publish: true }), {
      CODEX_FLOW_PUSH: "1",
      CODEX_FLOW_PUBLISH: "0",
      CODEX_FLOW_OPEN_PR: "true",
    });
    expect(lastResult(run.stdout).artifacts).toMatchObject({ push: true, publish: false, openPr: true });
  });

  test("an override that is neither 1 nor 0 fails the step, naming the variable", async () => {
    const dir = project(configScript);
    const run = await runBun("exec/step.ts", dir, contextJson({}, {}), { CODEX_FLOW_PUSH: "maybe" });
    expect(run.code).toBe(1);
    expect(lastResult(run.stdout).message).toBe(
      'environment variable CODEX_FLOW_PUSH: must be 1 or 0 (or true/false), got "maybe"',
    );
  });

  test("through the engine: the CLI reads the result and fires the typed next event", async () => {
    const dir = project("");
    writeFiles(dir, {
      "flows/demo/flow.toml": [
        'name = "demo"',
        "version = 1",
        "[config]",
        "push = false",
        "[[steps]]",
        'name = "first"',
        'runner = "bun"',
        'script = "exec/first.ts"',
        "[steps.trigger]",
        'type = "demo.start"',
        "[[steps]]",
        'name = "second"',
        'runner = "bun"',
        'script = "exec/second.ts"',
        "[steps.trigger]",
        'type = "demo.next"',
        "",
      ].join("\n"),
      "flows/demo/exec/first.ts": `
        import { defineStep, enabled } from "codex-flows/step";
        await defineStep((ctx) => ({
          status: "completed",
          message: "push " + enabled(ctx, "push"),
          next: [{ type: "demo.next", payload: { from: ctx.flow.step } }],
        }));
      `,
      "flows/demo/exec/second.ts": `
        import { defineStep } from "codex-flows/step";
        await defineStep((ctx) => ({ status: "completed", message: "after " + ctx.flow.event.payload.from }));
      `,
      "event.json": JSON.stringify({ id: "e1", type: "demo.start", payload: {} }),
    });
    const fired = await runCli(["fire", "--event", "event.json", "--json"], {
      cwd: dir,
      env: { CODEX_FLOW_PUSH: "1" },
    });
    expect(fired.code).toBe(0);
    const report = jsonOf<{ runs: { step: string; result: { message: string } }[] }>(fired);
    expect(report.runs.map((run) => [run.step, run.result.message])).toEqual([
      ["first", "push true"],
      ["second", "after first"],
    ]);
  });
});

describe("config helpers", () => {
  const ctx = { flow: { name: "demo", config: { push: "yes", retries: 2 } as Record<string, unknown> } };

  test("env override names: upper case, non-alphanumerics as _", () => {
    expect(envOverrideName("push")).toBe("CODEX_FLOW_PUSH");
    expect(envOverrideName("open-pr.v2")).toBe("CODEX_FLOW_OPEN_PR_V2");
  });

  test("a config value of another kind than the fallback is an error naming the key", () => {
    expect(configValue(ctx, "retries", 5)).toBe(2);
    expect(() => configValue(ctx, "retries", "five")).toThrow("must be a string, got number");
    expect(() => enabled(ctx, "push", {})).toThrow(
      expect.objectContaining({
        where: 'flow.toml (flow "demo") [config].push',
        message: "must be true or false, got string",
      }),
    );
  });
});
