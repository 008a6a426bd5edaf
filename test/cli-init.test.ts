// Issue 13, item 9: `codex-flows init [name]` scaffolds a flow that passes check, codegen --check and fire as written.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { jsonOf, ROOT, runCli, runProcess, tempDir, writeFiles } from "./helpers.js";
import { installPackage } from "./step-project.js";

const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

test("init scaffolds a typed flow that passes check, codegen --check, tsc and fire as written", async () => {
  const dir = tempDir();
  installPackage(dir);
  const init = await runCli(["init", "--cwd", dir]);
  expect(init.code).toBe(0);
  expect(init.stdout).toBe(
    [
      "wrote flows/my-flow/flow.toml",
      "wrote flows/my-flow/schemas/request.schema.json",
      "wrote flows/my-flow/exec/handle.ts",
      "wrote flows/my-flow/events/example.json",
      "wrote flows/my-flow/flow.gen.ts",
      "wrote flows/flow-events.gen.ts",
      "next: npx codex-flows fire --event flows/my-flow/events/example.json",
      "",
    ].join("\n"),
  );

  const check = await runCli(["check", "--cwd", dir]);
  expect(check.stdout).toContain("ok: 1 flow(s), 1 step(s) checked");
  expect(check.code).toBe(0);
  const codegen = await runCli(["codegen", "--check", "--cwd", dir]);
  expect(codegen.code).toBe(0);
  const fired = await runCli(["fire", "--cwd", dir, "--event", "flows/my-flow/events/example.json"], { cwd: dir });
  expect(fired.code).toBe(0);
  expect(fired.stdout).toMatch(/^ok my-flow\/handle completed in \d+ ms: Hello, world!$/m);

  // The script is typed by the generated file: it compiles, and a typo in a payload field does not.
  writeFiles(dir, {
    "tsconfig.json": JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "Bundler",
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        paths: { "codex-flows/step": [join(ROOT, "src/step/index.ts")] },
      },
      include: ["flows/**/*.ts"],
    }),
  });
  const script = join(dir, "flows/my-flow/exec/handle.ts");
  const good = await runProcess(process.execPath, [TSC, "-p", dir], { cwd: dir });
  expect(good.stdout.split("\n").filter((line) => line.startsWith("flows/"))).toEqual([]);
  writeFiles(dir, { "flows/my-flow/exec/handle.ts": readFileSync(script, "utf8").replace("{ name }", "{ nmae }") });
  const bad = await runProcess(process.execPath, [TSC, "-p", dir], { cwd: dir });
  expect(bad.stdout).toMatch(
    /flows\/my-flow\/exec\/handle\.ts\(\d+,\d+\): error TS2339: Property 'nmae' does not exist/,
  );
}, 60_000);

test("init takes a name, refuses a bad one or an existing folder, and overwrites nothing", async () => {
  const dir = tempDir();
  const named = jsonOf<{ ok: boolean; flow: string; files: string[] }>(
    await runCli(["init", "release-notes", "--json", "--cwd", dir]),
  );
  expect(named).toMatchObject({ ok: true, flow: "release-notes" });
  expect(named.files).toContain("flows/release-notes/flow.toml");
  const manifest = readFileSync(join(dir, "flows/release-notes/flow.toml"), "utf8");
  expect(manifest).toContain('type = "release-notes.requested"');

  const again = await runCli(["init", "release-notes", "--cwd", dir]);
  expect(again.code).toBe(2);
  expect(again.stderr).toBe(
    "error: flows/release-notes already exists (init never overwrites; pick another name: codex-flows init <name>)\n",
  );
  expect(readFileSync(join(dir, "flows/release-notes/flow.toml"), "utf8")).toBe(manifest);

  const bad = await runCli(["init", "Bad Name", "--cwd", dir]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/^error: "Bad Name" is not a valid flow name \(use lower-case letters/);
  expect(existsSync(join(dir, "flows/Bad Name"))).toBe(false);
  // Without codex-flows installed, the step could not import codex-flows/step: init says so.
  expect((await runCli(["init", "other", "--cwd", dir])).stdout).toContain("run `npm install codex-flows`");
});
