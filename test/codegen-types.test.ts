// Type tests: real `tsc` over the codegen fixture, its step scripts and typed-fire code, good and deliberately bad.
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { expect, test } from "vitest";
import { bigSchema } from "../bench/big-schema.mjs";
import { copyFixture, ROOT, runCli, runProcess, tempDir, writeFiles } from "./helpers.js";

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** A tsconfig like the repo's, with `codex-flows` and `codex-flows/step` mapped to this checkout's sources. */
function tsconfig(): string {
  return JSON.stringify({
    compilerOptions: {
      target: "ES2022",
      module: "ESNext",
      moduleResolution: "Bundler",
      lib: ["ES2023"],
      types: ["node"],
      typeRoots: [join(ROOT, "node_modules", "@types")],
      strict: true,
      noUncheckedIndexedAccess: true,
      resolveJsonModule: true,
      skipLibCheck: true,
      isolatedModules: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      paths: { "codex-flows": [join(ROOT, "src/index.ts")], "codex-flows/step": [join(ROOT, "src/step/index.ts")] },
    },
    include: ["**/*.ts"],
  });
}

/** Code written against the generated types; every line ending in `// TSxxxx` must fail with that code. */
const CHECKS: Record<string, string> = {
  "good-fire.ts": `
    import { createFire } from "codex-flows";
    import type { FlowEventMap } from "./flows/flow-events.gen.js";
    const fire = createFire<FlowEventMap>({ cwd: "." });
    await fire("upstream.release", {
      tag: "v1.2.3",
      repository: { owner: "openai", name: "codex", visibility: "public" },
      channel: "stable",
      publishedAt: "2026-01-01T00:00:00Z",
      assets: [{ name: "codex.tgz", size: 10 }],
    });
    await fire("upstream.release", { tag: "v1.2.3", severity: "critical", reviewer: null });
    await fire("audit.requested", { anything: ["goes"] }, { id: "audit-1", source: "test" });
  `,
  "bad-payload.ts": `
    import type { AnnounceContext } from "./flows/releases/flow.gen.js";
    export function read(ctx: AnnounceContext) {
      const channel: "stable" | "beta" | "nightly" = ctx.flow.event.payload.channel;
      const missing = ctx.flow.event.payload.releaseNotes; // TS2339
      const owner: number = ctx.flow.event.payload.repository.owner; // TS2322
      const push: string = ctx.flow.config.push; // TS2322
      const unknownConfig = ctx.flow.config.nope; // TS2339
      return [channel, missing, owner, push, unknownConfig];
    }
  `,
  "bad-fire.ts": `
    import { createFire } from "codex-flows";
    import type { FlowEventMap } from "./flows/flow-events.gen.js";
    const fire = createFire<FlowEventMap>();
    await fire("upstream.release", { tag: 123 }); // TS2322
    await fire("upstream.relaese", {}); // TS2345
    await fire("upstream.release", { tag: "v1", severity: "loud" }); // TS2322
  `,
  "bad-step.ts": `
    import { configValue, defineStep } from "codex-flows/step";
    import type { FlowEventMap } from "./flows/flow-events.gen.js";
    import type { NotifyContext } from "./flows/notifier/flow.gen.js";
    // A wrong \`next\` payload makes the whole handler unassignable, reported at its start.
    await defineStep<NotifyContext, FlowEventMap>((ctx) => { // TS2345
      const severity: "info" | "warning" | "critical" = ctx.flow.event.payload.severity;
      const level: number = configValue(ctx, "level", "high"); // TS2322
      return {
        status: "completed",
        message: severity + level,
        next: [{ type: "audit.requested", payload: 1 }, { type: "upstream.release", payload: { tag: 5 } }],
      };
    });
    await defineStep<NotifyContext>(() => ({ status: "done" })); // TS2322
  `,
};

async function runTsc(project: string): Promise<string> {
  const { stdout, stderr } = await runProcess(process.execPath, [TSC, "-p", project, "--pretty", "false"]);
  return stdout + stderr;
}

test("generated types compile with their step scripts, and misuse fails tsc with the expected errors", async () => {
  const dir = copyFixture("codegen-project");
  writeFiles(dir, { "tsconfig.json": tsconfig(), ...CHECKS });

  const output = await runTsc(dir);
  // Only this project's files count: errors in the engine's own sources are the repo-wide tsc's business.
  const errors = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)]
    .map(([, file, line, code, message]) => ({
      file: relative(dir, file as string),
      line: Number(line),
      code,
      message,
    }))
    .filter((error) => !error.file.startsWith(".."));

  const expected = Object.keys(CHECKS).flatMap((file) =>
    readFileSync(join(dir, file), "utf8")
      .split("\n")
      .flatMap((text, index) => {
        const code = /\/\/ (TS\d+)$/.exec(text)?.[1];
        return code ? [{ file, line: index + 1, code }] : [];
      }),
  );
  expect(expected.length).toBe(10);
  const order = (a: { file: string; line: number }, b: { file: string; line: number }) =>
    a.file.localeCompare(b.file) || a.line - b.line;
  expect(errors.map(({ file, line, code }) => ({ file, line, code })).sort(order), output).toEqual(
    expected.sort(order),
  );

  const messages = errors.map((error) => error.message).join("\n");
  expect(messages).toContain("Property 'releaseNotes' does not exist on type 'Release'");
  expect(messages).toContain(
    `Argument of type '"upstream.relaese"' is not assignable to parameter of type '"upstream.release" | "audit.requested"'`,
  );
  expect(messages).toContain(`Type '"loud"' is not assignable to type 'Severity'`);
}, 120_000);

/** tsc errors in `dir`'s own files, as `file(line): TSxxxx`. */
function ownErrors(dir: string, output: string): string[] {
  return [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)]
    .filter(([, file]) => !relative(dir, file as string).startsWith(".."))
    .map(([, file, line, code]) => `${relative(dir, file as string)}(${line}): ${code}`);
}

test("a cross-file $ref into a large schema whose target uses local pointers gives usable types (issue 13, item 21)", async () => {
  const dir = writeFiles(tempDir(), {
    "flows/hooks/flow.toml": [
      'name = "hooks"',
      "[[steps]]",
      'name = "on-issue"',
      'runner = "bun"',
      'script = "exec/on-issue.ts"',
      "[steps.trigger]",
      'type = "github.issues"',
      'schema = "schemas/issue.schema.json"',
    ].join("\n"),
    // 337 definitions; e3_event is {"oneOf": [{"$ref": "#/definitions/e3$a0"}, ...]}, one branch per action.
    "flows/hooks/schemas/big.schema.json": JSON.stringify(bigSchema()),
    "flows/hooks/schemas/issue.schema.json": JSON.stringify({ $ref: "big.schema.json#/definitions/e3_event" }),
  });
  const run = await runCli(["codegen", "--cwd", dir]);
  expect(run.stderr).not.toContain("error");
  expect(run.code).toBe(0);

  writeFiles(dir, {
    "tsconfig.json": tsconfig(),
    "flows/hooks/exec/on-issue.ts": `
      import { defineStep } from "codex-flows/step";
      import type { OnIssueContext } from "../flow.gen.js";
      await defineStep<OnIssueContext>((ctx) => {
        const payload = ctx.flow.event.payload;
        const title: string = payload.e3.title;
        const login: string | undefined = payload.sender.login;
        const changed = payload.action === "a0" ? payload.changes?.title?.from : undefined;
        const typo = payload.e3.headline; // TS2339
        const wrong: number = payload.repository.node_id; // TS2322
        if (payload.action === "a1") console.log(payload.changes); // TS2339
        const action: "a9" = payload.action; // TS2322
        return { status: "completed", message: [title, login, changed, typo, wrong, action].join(" ") };
      });
    `,
  });
  const output = await runTsc(dir);
  expect(ownErrors(dir, output), output).toEqual([
    "flows/hooks/exec/on-issue.ts(9): TS2339",
    "flows/hooks/exec/on-issue.ts(10): TS2322",
    "flows/hooks/exec/on-issue.ts(11): TS2339",
    "flows/hooks/exec/on-issue.ts(12): TS2322",
  ]);
}, 120_000);

test("natural names and renamed clashes compile, and a typo against them fails tsc (issue 13, item 2)", async () => {
  const dir = writeFiles(tempDir(), {
    "flows/my-flow/flow.toml": [
      'name = "my-flow"',
      "[config]",
      'greeting = "hi"',
      ...[
        ["greet", "greet.schema.json"],
        ["wave", "wave.schema.json"],
      ].flatMap(([step, schema]) => [
        "[[steps]]",
        `name = "${step}"`,
        'runner = "bun"',
        `script = "exec/${step}.ts"`,
        "[steps.trigger]",
        `type = "${step}.event"`,
        `schema = "schemas/${schema}"`,
      ]),
    ].join("\n"),
    "flows/my-flow/schemas/greet.schema.json": JSON.stringify({
      title: "GreetPayload",
      type: "object",
      required: ["name"],
      properties: {
        name: { type: "string" },
        config: { title: "Config", type: "object", properties: { n: { type: "number" } } },
      },
    }),
    "flows/my-flow/schemas/wave.schema.json": JSON.stringify({
      title: "GreetPayload",
      type: "object",
      required: ["hand"],
      properties: { hand: { enum: ["left", "right"] } },
    }),
  });
  expect((await runCli(["codegen", "--cwd", dir])).code).toBe(0);
  writeFiles(dir, {
    "tsconfig.json": tsconfig(),
    "flows/my-flow/exec/greet.ts": `
      import { defineStep } from "codex-flows/step";
      import type { GreetContext, GreetPayload, WavePayload } from "../flow.gen.js";
      import type { FlowEventMap } from "../../flow-events.gen.js";
      await defineStep<GreetContext>((ctx) => {
        const payload: GreetPayload = ctx.flow.event.payload;
        const n: number | undefined = payload.config?.n;
        const greeting: string = ctx.flow.config.greeting;
        const hand: WavePayload["hand"] = "left";
        const event: FlowEventMap["wave.event"] = { hand };
        const typo = payload.nmae; // TS2339
        const bad: FlowEventMap["greet.event"] = { name: 1 }; // TS2322
        return { status: "completed", message: [payload.name, n, greeting, event.hand, typo, bad].join(" ") };
      });
    `,
  });
  const output = await runTsc(dir);
  expect(ownErrors(dir, output), output).toEqual([
    "flows/my-flow/exec/greet.ts(11): TS2339",
    "flows/my-flow/exec/greet.ts(12): TS2322",
  ]);
}, 120_000);
