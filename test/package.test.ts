// The published artifact: `npm pack`, install the tarball into a fresh `npm init -y` project (CommonJS),
// run the CLI from there, and type-check a typed step script with the TypeScript npm installs by default.
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { FIXTURES, ROOT, runProcess, tempDir, writeFiles } from "./helpers.js";

const exec = promisify(execFile);

/** The tsconfig docs/codegen.md recommends, taken from the page, so the page cannot drift from what works. */
function documentedTsconfig(): string {
  const page = readFileSync(join(ROOT, "docs", "codegen.md"), "utf8");
  const section = page.slice(page.indexOf("## Setting up a project"));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  expect(block, "docs/codegen.md has a tsconfig.json block under 'Setting up a project'").toBeDefined();
  JSON.parse(block as string); // it must be valid JSON as printed
  return block as string;
}

const FLOW = {
  "flows/hello/flow.toml": [
    'name = "hello"',
    "[config]",
    'greeting = "Hello"',
    "[[steps]]",
    'name = "greet"',
    'runner = "bun"',
    'script = "exec/greet.ts"',
    "[steps.trigger]",
    'type = "hello.greet"',
    'schema = "schemas/greeting.schema.json"',
  ].join("\n"),
  "flows/hello/schemas/greeting.schema.json": JSON.stringify({
    type: "object",
    required: ["name"],
    properties: { name: { type: "string" }, excited: { type: "boolean" } },
  }),
};

/** The README's step script, and one with a typo that tsc must catch (and nothing else). */
const SCRIPTS = {
  "flows/hello/exec/greet.ts": `import { configValue, defineStep } from "codex-flows/step";
import type { GreetContext } from "../flow.gen.js";

await defineStep<GreetContext>((ctx) => {
  const { name, excited } = ctx.flow.event.payload;
  const greeting = \`\${configValue(ctx, "greeting", "Hello")}, \${name}\${excited ? "!" : "."}\`;
  return { status: "completed", message: greeting };
});
`,
  "flows/hello/exec/typo.ts": `import { defineStep } from "codex-flows/step";
import type { GreetContext } from "../flow.gen.js";

await defineStep<GreetContext>((ctx) => ({ status: "completed", message: ctx.flow.event.payload.nmae }));
`,
  // The library and runner API, as an ES module file in the CommonJS project.
  "flows/api.mts": `import { createFire, defineRunner, type Runner } from "codex-flows";
import type { FlowEventMap } from "./flow-events.gen.js";

const fire = createFire<FlowEventMap>({ cwd: "." });
await fire("hello.greet", { name: "you", excited: true });
export const runner: Runner = defineRunner({
  name: "echo",
  async run(invocation, io) {
    const home: string | undefined = invocation.env.HOME;
    io.output("stdout", home ?? "");
    return { stdout: "", stderr: "", exitCode: 0, exitSignal: null };
  },
});
`,
};

/** tsc's `file(line,col): error TSxxxx` lines, as `file: TSxxxx`. */
const tscErrors = (output: string) =>
  [...output.matchAll(/^(\S+?)\(\d+,\d+\): error (TS\d+)/gm)].map(([, file, code]) => `${file}: ${code}`);

test("the packed tarball installs into an empty project and its CLI and API work there", {
  timeout: 600_000,
}, async () => {
  const packDir = tempDir("codex-flows-pack-");
  await exec("npm", ["pack", "--pack-destination", packDir], { cwd: ROOT });
  const tarball = readdirSync(packDir).find((name) => name.endsWith(".tgz"));
  expect(tarball).toMatch(/^codex-flows-\d+\.\d+\.\d+\.tgz$/);
  // The dashboard's browser files ship beside dist/, where the built CLI looks for them.
  const { stdout: listing } = await exec("tar", ["-tzf", join(packDir, String(tarball))]);
  for (const file of ["index.html", "app.js", "run-page.js", "style.css"]) {
    expect(listing).toContain(`package/dashboard/${file}`);
  }

  // `npm init -y`: a CommonJS project, as most fresh projects are.
  const project = tempDir("codex-flows-consumer-");
  await exec("npm", ["init", "-y"], { cwd: project });
  // `typescript` unpinned: whatever version npm gives a new project today.
  await exec("npm", ["install", "--no-audit", "--no-fund", join(packDir, String(tarball)), "typescript"], {
    cwd: project,
  });

  // The page's modules come from the installed preact and htm, resolved from the package as the service does.
  const installed = join(project, "node_modules", "codex-flows");
  expect(existsSync(join(installed, "dashboard", "index.html"))).toBe(true);
  const vendor = await exec(
    process.execPath,
    [
      "-e",
      'const r = require("node:module").createRequire(process.argv[1]); console.log(r.resolve("preact"), r.resolve("preact/hooks"), r.resolve("htm"))',
      join(installed, "dist", "cli.cjs"),
    ],
    { cwd: project },
  );
  expect(vendor.stdout.trim().split(" ")).toHaveLength(3);

  const version = await exec("npx", ["codex-flows", "--version"], { cwd: project });
  expect(version.stdout).toMatch(/codex-flows\/\d+\.\d+\.\d+/);

  const listed = await exec("npx", ["codex-flows", "list", "--json", "--cwd", join(FIXTURES, "precedence")], {
    cwd: project,
  });
  expect((JSON.parse(listed.stdout) as { flows: { name: string }[] }).flows.map((flow) => flow.name)).toEqual([
    "alpha",
    "gamma",
    "beta",
  ]);

  const api = await exec(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      'const m = await import("codex-flows"); console.log(typeof m.fire, typeof m.discoverFlows)',
    ],
    { cwd: project },
  );
  expect(api.stdout.trim()).toBe("function function");

  // Typed flows, in the natural order: manifest and schema, codegen, then the script (issue 13, items 3, 4).
  writeFiles(project, FLOW);
  const generated = await exec("npx", ["codex-flows", "codegen"], { cwd: project });
  expect(generated.stdout).toContain("wrote flows/hello/flow.gen.ts");
  writeFiles(project, { ...SCRIPTS, "tsconfig.json": documentedTsconfig() });

  const npmTsc = join(project, "node_modules", "typescript", "bin", "tsc");
  const compilers = {
    "npm's default": npmTsc,
    "the repository's": join(ROOT, "node_modules", "typescript", "bin", "tsc"),
  };
  for (const [which, tsc] of Object.entries(compilers)) {
    const version = await runProcess(process.execPath, [tsc, "--version"], { cwd: project });
    const run = await runProcess(process.execPath, [tsc, "-p", ".", "--pretty", "false"], { cwd: project });
    expect(tscErrors(run.stdout + run.stderr), `${which} ${version.stdout}${run.stdout}`).toEqual([
      "flows/hello/exec/typo.ts: TS2339",
    ]);
  }

  // What `tsc --init` writes ("module": "nodenext", "types": []), with flows/ marked as ES modules.
  renameSync(join(project, "tsconfig.json"), join(project, "tsconfig.docs.json"));
  await runProcess(process.execPath, [npmTsc, "--init"], { cwd: project });
  writeFiles(project, { "flows/package.json": JSON.stringify({ type: "module" }) });
  const init = await runProcess(process.execPath, [npmTsc, "-p", ".", "--noEmit", "--pretty", "false"], {
    cwd: project,
  });
  expect(tscErrors(init.stdout + init.stderr), init.stdout).toEqual(["flows/hello/exec/typo.ts: TS2339"]);
});

// Issue 13, item 1: `npm install codex-flows` alone must give a working default runner, with no Bun on PATH.
test("in a consumer project with no Bun on PATH, a real bun step runs with the Bun that codex-flows brings", {
  // npm pack (which builds) and an install that fetches Bun took 208 s on the shared 2-core machine.
  timeout: 600_000,
}, async () => {
  const packDir = tempDir("codex-flows-pack-bun-");
  await exec("npm", ["pack", "--pack-destination", packDir], { cwd: ROOT });
  const tarball = readdirSync(packDir).find((name) => name.endsWith(".tgz"));

  const project = writeFiles(tempDir("codex-flows-consumer-bun-"), {
    "package.json": JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }),
    "flows/hi/flow.toml": [
      'name = "hi"',
      "[[steps]]",
      'name = "main"',
      'runner = "bun"',
      'script = "exec/main.ts"',
      "[steps.trigger]",
      'type = "hi.said"',
      "",
    ].join("\n"),
    "flows/hi/exec/main.ts": [
      'import { defineStep } from "codex-flows/step";',
      "await defineStep((ctx) => {",
      '  console.log("bun " + (typeof Bun === "undefined" ? "missing" : Bun.version) + " at " + process.execPath);',
      '  return { status: "completed", message: "hi from " + ctx.flow.name };',
      "});",
      "",
    ].join("\n"),
    "event.json": JSON.stringify({ id: "hi-1", type: "hi.said" }),
  });
  await exec("npm", ["install", "--no-audit", "--no-fund", join(packDir, String(tarball))], { cwd: project });

  // No bun on PATH (only node's folder and the system's), and no CODEX_FLOWS_BUN: what the user has.
  const PATH = [dirname(process.execPath), "/usr/bin", "/bin"].join(":");
  for (const dir of PATH.split(":")) expect(existsSync(join(dir, "bun"))).toBe(false);
  const env = { ...process.env, PATH, CODEX_FLOWS_BUN: undefined };

  const checked = await exec("npx", ["codex-flows", "check"], { cwd: project, env });
  expect(checked.stdout).toContain("ok: 1 flow(s), 1 step(s) checked");
  const fired = await exec("npx", ["codex-flows", "fire", "--event", "event.json"], { cwd: project, env });
  expect(fired.stdout).toMatch(/^ok hi\/main completed in \d+ ms: hi from hi$/m);
  expect(fired.stderr).toMatch(
    new RegExp(`^\\[hi/main\\] bun \\d+\\.\\d+\\.\\d+ at ${realpathSync(project)}/node_modules/`, "m"),
  );
});
