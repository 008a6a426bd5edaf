// Issue 13: exit codes and messages a new user meets: rejected payloads, broken schemas, typos, --json errors.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  jsonOf,
  oneStepManifest,
  resultScript,
  runCli,
  schemaProject,
  tempDir,
  writeEvent,
  writeFiles,
} from "./helpers.js";

const NEEDS_NAME = JSON.stringify({ type: "object", required: ["name"], properties: { name: { type: "string" } } });

describe("fire when steps of the event's type exist but none accepts it (item 5)", () => {
  test("exit 2, with the reason; an event of a type nobody listens to is still 0", async () => {
    const dir = schemaProject(NEEDS_NAME);
    const bad = writeEvent(dir, { id: "e1", type: "t", payload: {} });
    const fired = await runCli(["fire", "--cwd", dir, "--event", bad]);
    expect(fired.code).toBe(2);
    expect(fired.stdout).toContain("x/main not run: payload invalid at /: must have required property 'name'");
    const dry = await runCli(["fire", "--dry-run", "--cwd", dir, "--event", bad]);
    expect(dry.code).toBe(2);
    const good = writeEvent(dir, { id: "e2", type: "t", payload: { name: "a" } }, "good.json");
    expect((await runCli(["fire", "--cwd", dir, "--event", good])).code).toBe(0);
    const other = writeEvent(dir, { id: "e3", type: "nobody.listens" }, "other.json");
    expect((await runCli(["fire", "--cwd", dir, "--event", other])).code).toBe(0);
  });
});

describe("list and check see broken schemas and empty projects (item 6)", () => {
  test.each([
    ["not JSON", "{ nope", {}, /p\.schema\.json:1:3: schema is not valid JSON/],
    [
      "an invalid keyword",
      '{"type": "objekt"}',
      {},
      /invalid JSON Schema: schema is invalid: data\/type must be equal to one of the allowed values/,
    ],
    [
      "a $ref to a missing file",
      '{"$ref": "missing.schema.json#/x"}',
      {},
      /invalid JSON Schema: can't resolve reference missing\.schema\.json/,
    ],
    ["an array", "[]", {}, /schema must be a JSON object/],
  ])("a schema that is %s: list marks the flow broken and names the problem", async (_what, schema, files, message) => {
    const dir = schemaProject(schema, files);
    const listed = await runCli(["list", "--cwd", dir]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain("x v1 (flows)  [broken: see problems]");
    expect(listed.stdout).toMatch(/Problems \(1\):\n {2}flows\/x\/flow\.toml: steps\[0\]\.trigger\.schema: /);
    expect(listed.stdout).toMatch(message);
    const json = jsonOf<{ flows: { broken: boolean }[]; errors: { message: string }[] }>(
      await runCli(["list", "--json", "--cwd", dir]),
    );
    expect(json.flows.map((flow) => flow.broken)).toEqual([true]);
    expect(json.errors[0]?.message).toMatch(message);
    expect((await runCli(["check", "--cwd", dir])).code).toBe(2);
  });

  test("list in a folder whose only flow.toml is broken does not say no flows were found", async () => {
    const dir = writeFiles(tempDir(), { "flows/x/flow.toml": "name = = 1" });
    const listed = await runCli(["list", "--cwd", dir]);
    expect(listed.stdout).not.toContain("No flows found");
    expect(listed.stdout).toContain(`No healthy flows in ${dir}/.codex/flows or ${dir}/flows: see the problems below.`);
    expect(listed.stdout).toContain("flows/x/flow.toml:1:9: TOML syntax error");
  });

  test("check with no flows at all says nothing was found, where it looked, and exits 2", async () => {
    const dir = writeFiles(tempDir(), { "README.md": "no flows here" });
    const checked = await runCli(["check", "--cwd", dir]);
    expect(checked.code).toBe(2);
    expect(checked.stdout).toBe(
      `error: no flows found in ${dir}/.codex/flows or ${dir}/flows (nothing to check; \`codex-flows init\` scaffolds one)\n`,
    );
    const json = jsonOf<{ ok: boolean; nothingFound: string }>(await runCli(["check", "--json", "--cwd", dir]));
    expect(json).toMatchObject({ ok: false, nothingFound: `no flows found in ${dir}/.codex/flows or ${dir}/flows` });
  });
});

describe("messages (item 7)", () => {
  test("a timeout names timeout_ms in the flow.toml", async () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": oneStepManifest("x", "main", "t", "timeout_ms = 300"),
      "flows/x/exec/main.ts": "await Bun.sleep(20_000);",
    });
    const ran = await runCli([
      "run",
      "x",
      "main",
      "--json",
      "--cwd",
      dir,
      "--event",
      writeEvent(dir, { id: "e", type: "t" }),
    ]);
    expect(ran.code).toBe(1);
    expect(jsonOf<{ result: { message: string } }>(ran).result.message).toBe(
      `timed out after 300 ms (raise steps[0].timeout_ms in ${join(dir, "flows/x/flow.toml")} if the step needs longer)`,
    );
  });

  test("an unknown manifest key suggests the near one, and a far one does not guess", async () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": oneStepManifest("x", "main", "t", "timout_ms = 5").replace("version = 1", "colour = 1"),
      "flows/x/exec/main.ts": "",
    });
    const checked = await runCli(["check", "--cwd", dir]);
    expect(checked.stdout).toContain('steps[0].timout_ms: is not a known field (did you mean "timeout_ms"?)');
    expect(checked.stdout).toContain("flows/x/flow.toml: colour: is not a known field\n");
  });

  test("an unknown command suggests the near one", async () => {
    const typo = await runCli(["fier", "--event", "x.json"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe('error: unknown command "fier" (did you mean `codex-flows fire`?)\n');
    const far = await runCli(["frobnicate"]);
    expect(far.stderr).toBe('error: unknown command "frobnicate" (run `codex-flows --help` for the commands)\n');
  });

  test("a schema that is not valid JSON gives line:column, and fire prints it once", async () => {
    const dir = schemaProject('{\n  "type": "object",\n  "required": ["name"]\n  "properties": {}\n}\n');
    const fired = await runCli(["fire", "--cwd", dir, "--event", writeEvent(dir, { id: "e", type: "t" })]);
    expect(fired.code).toBe(2);
    const mentions = `${fired.stdout}${fired.stderr}`.split("not valid JSON").length - 1;
    expect(mentions).toBe(1);
    expect(fired.stdout).toContain(`error: ${join(dir, "flows/x/p.schema.json")}:4:3: schema is not valid JSON: `);
    const dry = await runCli(["fire", "--dry-run", "--cwd", dir, "--event", writeEvent(dir, { id: "e", type: "t" })]);
    expect(`${dry.stdout}${dry.stderr}`.split("not valid JSON").length - 1).toBe(1);
  });

  test("a script with no FLOW_RESULT line points at defineStep", async () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": oneStepManifest("x", "main", "t"),
      "flows/x/exec/main.ts": 'console.log("done, I think");',
    });
    const ran = await runCli([
      "run",
      "x",
      "main",
      "--json",
      "--cwd",
      dir,
      "--event",
      writeEvent(dir, { id: "e", type: "t" }),
    ]);
    expect(jsonOf<{ result: { message: string } }>(ran).result.message).toContain(
      'wrap the script in `await defineStep((ctx) => ({ status: "completed" }))` from "codex-flows/step"',
    );
  });

  test("with --json, an error is JSON on stdout too", async () => {
    const missing = await runCli(["fire", "--json", "--event", "/nonexistent/e.json"]);
    expect(missing.code).toBe(2);
    expect(jsonOf(missing)).toEqual({
      ok: false,
      error: {
        code: "event",
        message: "event file not found",
        where: "/nonexistent/e.json",
        hint: "pass --event FILE, or --event - to read the event from stdin",
      },
    });
    expect(missing.stderr).toContain("error: /nonexistent/e.json: event file not found");
    const badOption = await runCli(["list", "--json", "--nope"]);
    expect(jsonOf(badOption)).toEqual({ ok: false, error: { code: "usage", message: "Unknown option `--nope`" } });
    const typo = await runCli(["lsit", "--json"]);
    expect(jsonOf<{ error: { hint: string } }>(typo).error.hint).toBe("did you mean `codex-flows list`?");
  });
});

describe("a runner whose binary cannot be found (item 1)", () => {
  test("check and fire --dry-run report it, naming the step and how to fix it", async () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": oneStepManifest("x", "main", "t"),
      "flows/x/exec/main.ts": resultScript({ status: "completed" }),
    });
    const env = { CODEX_FLOWS_BUN: "/nonexistent/bun" };
    const checked = await runCli(["check", "--cwd", dir], { env });
    expect(checked.code).toBe(2);
    expect(checked.stdout).toContain(
      'error: flows/x/flow.toml: steps[0].runner: CODEX_FLOWS_BUN points at "/nonexistent/bun", which is not an executable file',
    );
    const event = writeEvent(dir, { id: "e", type: "t" });
    const dry = await runCli(["fire", "--dry-run", "--cwd", dir, "--event", event], { env });
    expect(dry.code).toBe(2);
    expect(dry.stdout).toContain(">> x/main would run, but cannot start here (below)");
    expect(dry.stdout).toContain('error: x/main: CODEX_FLOWS_BUN points at "/nonexistent/bun"');
    const json = jsonOf<{ wouldRun: { runnerMissing?: string }[] }>(
      await runCli(["fire", "--dry-run", "--json", "--cwd", dir, "--event", event], { env }),
    );
    expect(json.wouldRun[0]?.runnerMissing).toMatch(/^CODEX_FLOWS_BUN points at/);
    // And with Bun where it is found, both are clean.
    expect((await runCli(["check", "--cwd", dir])).code).toBe(0);
    expect((await runCli(["fire", "--dry-run", "--cwd", dir, "--event", event])).code).toBe(0);
  });
});
