// Discovery and manifest validation against fixture projects: precedence, order, every manifest error.
import { mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { discoverFlows } from "../src/engine/discover.js";
import { DEFAULT_TIMEOUT_MS } from "../src/engine/manifest.js";
import { FIXTURES, jsonOf, runCli, tempDir, writeEvent, writeFiles } from "./helpers.js";

const precedence = join(FIXTURES, "precedence");
const broken = join(FIXTURES, "broken-manifests");

describe("precedence", () => {
  test("the .codex/flows copy wins and the flows/ copy is reported as shadowed", () => {
    const discovery = discoverFlows(precedence);
    const alpha = discovery.flows.find((flow) => flow.name === "alpha");
    expect(alpha?.source).toBe(".codex/flows");
    expect(alpha?.description).toBe("installed copy");
    expect(discovery.shadowed).toEqual([
      {
        name: "alpha",
        path: join(precedence, "flows/alpha/flow.toml"),
        shadowedBy: join(precedence, ".codex/flows/alpha/flow.toml"),
      },
    ]);
    expect(discovery.errors).toEqual([]);
  });

  test("order is deterministic: .codex/flows first, then flows/ sorted by folder", () => {
    expect(discoverFlows(precedence).flows.map((flow) => flow.name)).toEqual(["alpha", "gamma", "beta"]);
  });

  test("firing runs the winning copy only", async () => {
    const dir = tempDir();
    const result = await runCli(
      ["fire", "--cwd", precedence, "--json", "--event", writeEvent(dir, { id: "e1", type: "test.event" })],
      {},
    );
    const report = jsonOf<{ runs: { flow: string; result: { message: string } }[] }>(result);
    const messages = report.runs.map((run) => `${run.flow}: ${run.result.message}`).sort();
    expect(messages).toEqual(["alpha: installed copy", "beta: beta flow", "gamma: gamma sorts first by folder"]);
  });

  test("two flows with the same name in one source: the second is an error naming both files", () => {
    const dir = tempDir();
    const manifest =
      'name = "twin"\n[[steps]]\nname = "a"\nrunner = "bun"\nscript = "a.ts"\n[steps.trigger]\ntype = "t"\n';
    writeFiles(dir, {
      "flows/one/flow.toml": manifest,
      "flows/one/a.ts": "",
      "flows/two/flow.toml": manifest,
      "flows/two/a.ts": "",
    });
    const discovery = discoverFlows(dir);
    expect(discovery.flows).toHaveLength(1);
    expect(discovery.errors).toEqual([
      {
        path: join(dir, "flows/two/flow.toml"),
        field: "name",
        message: `flow name "twin" is already used by ${join(dir, "flows/one/flow.toml")}`,
      },
    ]);
  });
});

describe("manifest errors", () => {
  const discovery = discoverFlows(broken);
  const problem = (flow: string) => discovery.errors.filter((error) => error.path.includes(`/flows/${flow}/`));

  test("the healthy flow is still listed, with the default timeout", () => {
    expect(discovery.flows.map((flow) => flow.name)).toEqual(["healthy"]);
    expect(discovery.flows[0]?.steps[0]?.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(DEFAULT_TIMEOUT_MS).toBe(300_000);
  });

  test.each([
    ["bad-toml", undefined, /^TOML syntax error: Unexpected character/],
    ["no-name", "name", /^is required$/],
    ["unknown-runner", "steps[0].runner", /^unknown runner "rocket".*codex-flows-runner-rocket/],
    ["zero-timeout", "steps[0].timeout_ms", /^must be a positive integer/],
    ["string-timeout", "steps[0].timeout_ms", /^must be a positive integer/],
    ["dup-steps", "steps[1].name", /^duplicate step name "main" \(also steps\[0\]\)$/],
    ["missing-script", "steps[0].script", /^script "exec\/nope.ts" does not exist$/],
    ["escape-script", "steps[0].script", /^script "..\/healthy\/exec\/main.ts" points outside the flow folder$/],
    ["missing-schema", "steps[0].trigger.schema", /^schema "schemas\/nope.schema.json" does not exist$/],
    ["escape-schema", "steps[0].trigger.schema", /^schema "\/etc\/hostname" points outside the flow folder$/],
  ])("%s: names the file and the field", (flow, field, message) => {
    const problems = problem(flow);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe(field);
    expect(problems[0]?.message).toMatch(message);
    expect(problems[0]?.path).toContain(join(broken, "flows", flow, "flow.toml"));
  });

  test("a TOML syntax error points at line and column", () => {
    expect(problem("bad-toml")[0]).toMatchObject({
      path: join(broken, "flows/bad-toml/flow.toml"),
      line: 2,
      column: 11,
    });
  });

  test("list --json shows the healthy flow and every problem", async () => {
    const result = await runCli(["list", "--cwd", broken, "--json"]);
    expect(result.code).toBe(0);
    const listed = jsonOf<{ flows: { name: string; steps: object[] }[]; errors: { path: string; message: string }[] }>(
      result,
    );
    expect(listed.flows).toEqual([
      {
        name: "healthy",
        version: 1,
        description: "",
        root: join(broken, "flows/healthy"),
        source: "flows",
        broken: false,
        steps: [
          {
            name: "main",
            runner: "bun",
            gated: false,
            timeoutMs: 300000,
            trigger: { type: "test.event", schema: null },
          },
        ],
        schedules: [],
      },
    ]);
    expect(listed.errors).toHaveLength(10);
  });

  test("the healthy flow still runs next to broken ones, and the exit code (2) says the others need fixing", async () => {
    const dir = tempDir();
    const result = await runCli(["fire", "--cwd", broken, "--event", writeEvent(dir, { id: "h", type: "test.event" })]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain("ok healthy/main completed");
    expect(result.stderr).toContain("warning: flows/no-name/flow.toml: name: is required (flow skipped)");
  });
});

describe("review fixes", () => {
  const step = (extra: string) =>
    `name = "x"\n[[steps]]\nname = "s"\nrunner = "bun"\nscript = "s.ts"\n${extra}\n[steps.trigger]\ntype = "t"\n`;

  test.each([
    [
      "timeout_ms = 3000000000",
      "steps[0].timeout_ms",
      /^must be a positive integer of milliseconds, at most 2147483647/,
    ],
    ['cwd = "s.ts"', "steps[0].cwd", /^cwd "s.ts" is not a folder$/],
    ['runner = "my_runner"', "steps[0].runner", /^must use lower-case letters, digits and '-'$/],
  ])("%s is refused with a precise message", (extra, field, message) => {
    const manifest = extra.startsWith("runner") ? step("").replace('runner = "bun"', extra) : step(extra);
    const dir = writeFiles(tempDir(), { "flows/x/flow.toml": manifest, "flows/x/s.ts": "" });
    const { flows, errors } = discoverFlows(dir);
    expect(flows).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toBe(field);
    expect(errors[0]?.message).toMatch(message);
  });

  test("a broken .codex/flows copy still hides the flows/ copy it was installed over", () => {
    const dir = writeFiles(tempDir(), {
      ".codex/flows/x/flow.toml": step("").replace('runner = "bun"', 'runner = "nope"'),
      ".codex/flows/x/s.ts": "",
      ".codex/flows/y/flow.toml": "name = = broken",
      "flows/x/flow.toml": step(""),
      "flows/x/s.ts": "",
      "flows/y/flow.toml": step("").replace('name = "x"', 'name = "y"'),
      "flows/y/s.ts": "",
    });
    const discovery = discoverFlows(dir);
    expect(discovery.flows).toEqual([]);
    expect(discovery.errors.map((error) => error.path.replace(`${dir}/`, ""))).toEqual([
      ".codex/flows/x/flow.toml",
      ".codex/flows/y/flow.toml",
    ]);
    expect(discovery.shadowed).toEqual([
      { name: "x", path: join(dir, "flows/x/flow.toml"), shadowedBy: join(dir, ".codex/flows/x/flow.toml") },
      { name: "y", path: join(dir, "flows/y/flow.toml"), shadowedBy: join(dir, ".codex/flows/y/flow.toml") },
    ]);
  });

  test("folders starting with _ hold shared code, not flows", () => {
    const dir = writeFiles(tempDir(), {
      "flows/_shared/util.ts": "export {};",
      "flows/x/flow.toml": step(""),
      "flows/x/s.ts": "",
    });
    const discovery = discoverFlows(dir);
    expect(discovery.flows.map((flow) => flow.name)).toEqual(["x"]);
    expect(discovery.errors).toEqual([]);
  });

  test("run names only the broken flow the user asked for", async () => {
    const dir = writeFiles(tempDir(), {
      "flows/other/flow.toml": "name = = 1",
      "flows/x/flow.toml": step(""),
      "flows/x/s.ts": "",
    });
    const event = writeEvent(dir, { id: "e", type: "t" });
    const missing = await runCli(["run", "nope", "s", "--cwd", dir, "--event", event]);
    expect(missing.stderr).toMatch(/^error: no flow named "nope" \(flows found: x;/);
    const broken = await runCli(["run", "other", "s", "--cwd", dir, "--event", event]);
    expect(broken.stderr).toMatch(/^error: flow "other" has errors: flows\/other\/flow.toml:1:9: TOML syntax error/);
  });
});

describe("symlinks out of the flow folder (issue 13, item 12)", () => {
  const manifest = (schema: string) =>
    `name = "x"\n[[steps]]\nname = "s"\nrunner = "bun"\nscript = "s.ts"\n[steps.trigger]\ntype = "t"\n${schema}`;

  test("a script or schema that is a symlink pointing outside the flow folder is refused", () => {
    const dir = writeFiles(tempDir(), {
      "outside/s.ts": 'console.log("FLOW_RESULT {\\"status\\":\\"completed\\"}");',
      "outside/p.schema.json": '{"type":"object"}',
      "flows/x/flow.toml": manifest('schema = "p.schema.json"\n'),
    });
    symlinkSync(join(dir, "outside/s.ts"), join(dir, "flows/x/s.ts"));
    symlinkSync("../../outside/p.schema.json", join(dir, "flows/x/p.schema.json"));
    const { flows, errors } = discoverFlows(dir);
    expect(flows).toEqual([]);
    expect(errors.map((error) => [error.field, error.message])).toEqual([
      ["steps[0].script", `script "s.ts" is a symlink to ${join(dir, "outside/s.ts")}, outside the flow folder`],
      [
        "steps[0].trigger.schema",
        `schema "p.schema.json" is a symlink to ${join(dir, "outside/p.schema.json")}, outside the flow folder`,
      ],
    ]);
  });

  test("a $ref-able neighbour of the schema that is a symlink out of the flow folder is refused too", () => {
    const dir = writeFiles(tempDir(), {
      "outside/common.json": '{"definitions": {"n": {"type": "string"}}}',
      "flows/x/flow.toml": manifest('schema = "schemas/p.schema.json"\n'),
      "flows/x/s.ts": "",
      "flows/x/schemas/p.schema.json": '{"$ref": "common.json#/definitions/n"}',
    });
    symlinkSync(join(dir, "outside/common.json"), join(dir, "flows/x/schemas/common.json"));
    const { flows, errors } = discoverFlows(dir);
    expect(flows).toEqual([]);
    expect(errors.map((error) => [error.field, error.message])).toEqual([
      [
        "steps[0].trigger.schema",
        `schemas/common.json (next to the schema, so its $refs can load it) is a symlink to ${join(dir, "outside/common.json")}, outside the flow folder`,
      ],
    ]);
  });

  test("a folder on the way that is a symlink out of the flow folder is refused, with the schema's neighbours", () => {
    const dir = writeFiles(tempDir(), {
      "outside/p.schema.json": '{"$ref": "common.json#/definitions/n"}',
      "outside/common.json": '{"definitions": {"n": {"type": "string"}}}',
      "flows/x/flow.toml": manifest('schema = "schemas/p.schema.json"\n'),
      "flows/x/s.ts": "",
    });
    symlinkSync(join(dir, "outside"), join(dir, "flows/x/schemas"));
    const { flows, errors } = discoverFlows(dir);
    expect(flows).toEqual([]);
    expect(errors.map((error) => error.message)).toEqual([
      `schema "schemas/p.schema.json" is a symlink to ${join(dir, "outside/p.schema.json")}, outside the flow folder`,
      `schemas/common.json (next to the schema, so its $refs can load it) is a symlink to ${join(dir, "outside/common.json")}, outside the flow folder`,
    ]);
  });

  test("symlinks that stay inside the flow folder, and a flow folder that is itself a symlink, are fine", () => {
    const dir = writeFiles(tempDir(), {
      "real/x/exec/s.ts": "",
      "real/x/flow.toml": manifest(""),
    });
    symlinkSync("exec/s.ts", join(dir, "real/x/s.ts"));
    mkdirSync(join(dir, "flows"));
    symlinkSync(join(dir, "real/x"), join(dir, "flows/x"));
    const { flows, errors } = discoverFlows(dir);
    expect(errors).toEqual([]);
    expect(flows.map((flow) => flow.name)).toEqual(["x"]);
  });
});

describe("discovering again in one process", () => {
  test("an edited flow.toml is read again, and what a caller does to a flow does not leak into the next discovery", () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": `name = "x"\n[config]\nlevel = 1\n[[steps]]\nname = "a"\nrunner = "bun"\nscript = "s.ts"\n[steps.trigger]\ntype = "t"\n`,
      "flows/x/s.ts": "",
    });
    const first = discoverFlows(dir).flows[0];
    expect(first?.steps.map((step) => step.name)).toEqual(["a"]);
    (first?.config as Record<string, unknown>).level = 99;
    expect(discoverFlows(dir).flows[0]?.config).toEqual({ level: 1 });
    writeFiles(dir, {
      "flows/x/flow.toml": `name = "x"\n[[steps]]\nname = "b"\nrunner = "bun"\nscript = "s.ts"\n[steps.trigger]\ntype = "t"\n`,
    });
    const second = discoverFlows(dir).flows[0];
    expect(second?.steps.map((step) => step.name)).toEqual(["b"]);
    expect(second?.manifestHash).not.toBe(first?.manifestHash);
    writeFiles(dir, { "flows/x/flow.toml": `name = "x"\nsteps = 3\n` });
    expect(discoverFlows(dir).errors.map((error) => error.field)).toEqual(["steps"]);
  });
});

describe("what discovery asks the file system once (bench P6, issue 12)", () => {
  /** A flow "x" with one step per entry: the step's lines, then its trigger's lines. */
  const manifest = (steps: (string | [string, string])[]) =>
    `name = "x"\n${steps
      .map((step, n) => {
        const [lines, trigger] = typeof step === "string" ? [step, ""] : step;
        return `[[steps]]\nname = "s${n}"\nrunner = "bun"\n${lines}\n[steps.trigger]\ntype = "t"\n${trigger}\n`;
      })
      .join("")}`;

  test("entries of flows/ that are files, symlinks to files or dangling symlinks are not flows; symlinked folders are", () => {
    const dir = writeFiles(tempDir(), {
      "flows/a/flow.toml": manifest(['script = "s.ts"']).replace('name = "x"', 'name = "a"'),
      "flows/a/s.ts": "",
      "flows/notes.txt": "not a flow",
      "elsewhere/b/flow.toml": manifest(['script = "s.ts"']).replace('name = "x"', 'name = "b"'),
      "elsewhere/b/s.ts": "",
    });
    symlinkSync(join(dir, "flows/notes.txt"), join(dir, "flows/file-link"));
    symlinkSync(join(dir, "nowhere"), join(dir, "flows/dangling"));
    symlinkSync(join(dir, "elsewhere/b"), join(dir, "flows/b"));
    const discovery = discoverFlows(dir);
    expect(discovery.errors).toEqual([]);
    expect(discovery.flows.map((flow) => [flow.name, flow.root])).toEqual([
      ["a", join(dir, "flows/a")],
      ["b", join(dir, "flows/b")],
    ]);
  });

  test("a script shared by steps is reported for each step that names it", () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": manifest(['script = "gone.ts"', 'script = "gone.ts"', 'script = "s.ts"']),
      "flows/x/s.ts": "",
    });
    expect(discoverFlows(dir).errors.map((error) => [error.field, error.message])).toEqual([
      ["steps[0].script", 'script "gone.ts" does not exist'],
      ["steps[1].script", 'script "gone.ts" does not exist'],
    ]);
    const { flows, warnings } = discoverFlows(dir, { scriptsOptional: true });
    expect(flows.map((flow) => flow.name)).toEqual(["x"]);
    expect(warnings?.map((warning) => warning.field)).toEqual(["steps[0].script", "steps[1].script"]);
  });

  test("a schema is a file in its folder: a folder of that name, a missing one or a missing folder are refused", () => {
    const schemas = [
      "schemas/folder.json",
      "schemas/gone.json",
      "nope/p.json",
      "schemas/ok.schema.json",
      "schemas/in.json",
    ];
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": manifest(schemas.map((schema) => ['script = "s.ts"', `schema = "${schema}"`])),
      "flows/x/s.ts": "",
      "flows/x/schemas/folder.json/inner.json": "{}",
      "flows/x/schemas/ok.schema.json": '{"type":"object"}',
      "flows/x/real.json": '{"type":"object"}',
    });
    symlinkSync("../real.json", join(dir, "flows/x/schemas/in.json"));
    const { flows, errors } = discoverFlows(dir);
    expect(flows).toEqual([]);
    expect(errors.map((error) => [error.field, error.message])).toEqual([
      ["steps[0].trigger.schema", 'schema "schemas/folder.json" does not exist'],
      ["steps[1].trigger.schema", 'schema "schemas/gone.json" does not exist'],
      ["steps[2].trigger.schema", 'schema "nope/p.json" does not exist'],
    ]);
  });

  test("paths that are not plain (./, .., //) resolve as before, and the steps get absolute paths", () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": manifest([
        ['script = "./s.ts"\ncwd = "sub/.."', 'schema = "./sub/../p.json"'],
        'script = "sub/../s.ts"\ncwd = "sub/"',
        'script = "sub//t.ts"',
      ]),
      "flows/x/s.ts": "",
      "flows/x/sub/t.ts": "",
      "flows/x/p.json": "{}",
    });
    const { flows, errors } = discoverFlows(dir);
    expect(errors).toEqual([]);
    const root = join(dir, "flows/x");
    expect(flows[0]?.steps.map((step) => [step.script, step.cwd, step.trigger.schema])).toEqual([
      [join(root, "s.ts"), root, join(root, "p.json")],
      [join(root, "s.ts"), join(root, "sub"), undefined],
      [join(root, "sub/t.ts"), root, undefined],
    ]);
  });

  test("a plugin runner installed in one flow's folder is not found for another flow", () => {
    const runner = { "package.json": '{"name":"codex-flows-runner-rocket","type":"module","main":"index.js"}' };
    const dir = writeFiles(tempDir(), {
      "flows/a/flow.toml": manifest(['script = "s.ts"'])
        .replace('name = "x"', 'name = "a"')
        .replace('"bun"', '"rocket"'),
      "flows/a/s.ts": "",
      "flows/a/node_modules/codex-flows-runner-rocket/package.json": runner["package.json"],
      "flows/b/flow.toml": manifest(['script = "s.ts"', 'script = "s.ts"'])
        .replace('name = "x"', 'name = "b"')
        .replaceAll('"bun"', '"rocket"'),
      "flows/b/s.ts": "",
    });
    const discovery = discoverFlows(dir);
    expect(discovery.flows.map((flow) => flow.name)).toEqual(["a"]);
    expect(discovery.errors.map((error) => [error.path.replace(`${dir}/`, ""), error.field])).toEqual([
      ["flows/b/flow.toml", "steps[0].runner"],
      ["flows/b/flow.toml", "steps[1].runner"],
    ]);
    writeFiles(dir, { "node_modules/codex-flows-runner-rocket/package.json": runner["package.json"] });
    expect(discoverFlows(dir).flows.map((flow) => flow.name)).toEqual(["a", "b"]);
  });

  test("what a caller does to a flow's schedules does not leak into the next discovery", () => {
    const dir = writeFiles(tempDir(), {
      "flows/x/flow.toml": `${manifest(['script = "s.ts"'])}[[schedules]]\nname = "daily"\ncron = "0 3 * * *"\n[schedules.event]\ntype = "t"\npayload = { level = 1 }\n`,
      "flows/x/s.ts": "",
    });
    const first = discoverFlows(dir).flows[0];
    (first?.schedules[0]?.event.payload as Record<string, unknown>).level = 99;
    expect(discoverFlows(dir).flows[0]?.schedules[0]?.event.payload).toEqual({ level: 1 });
  });
});

describe("schema folders listed in an earlier discovery (bench P6, issue 12)", () => {
  const flow = (name: string) =>
    `name = "${name}"\n[[steps]]\nname = "s"\nrunner = "bun"\nscript = "s.ts"\n[steps.trigger]\ntype = "t"\nschema = "schemas/p.json"\n`;

  test("a change to a folder listed and kept before is seen: a neighbour added, one renamed over, the schema gone", async () => {
    const files: Record<string, string> = { "outside/common.json": "{}" };
    for (const name of ["added", "renamed", "gone", "same"]) {
      files[`flows/${name}/flow.toml`] = flow(name);
      files[`flows/${name}/s.ts`] = "";
      files[`flows/${name}/schemas/p.json`] = '{"type":"object"}';
      files[`flows/${name}/schemas/common.json`] = "{}";
    }
    const dir = writeFiles(tempDir(), files);
    // Listings are kept only once a folder has not changed for a while (src/engine/folder-listings.ts).
    await sleep(2_100);
    expect(discoverFlows(dir).flows.map((found) => found.name)).toEqual(["added", "gone", "renamed", "same"]);
    const outside = join(dir, "outside/common.json");
    symlinkSync(outside, join(dir, "flows/added/schemas/extra.json"));
    symlinkSync(outside, join(dir, "flows/renamed/schemas/link.json"));
    renameSync(join(dir, "flows/renamed/schemas/link.json"), join(dir, "flows/renamed/schemas/common.json"));
    rmSync(join(dir, "flows/gone/schemas/p.json"));
    const { flows, errors } = discoverFlows(dir);
    expect(flows.map((found) => found.name)).toEqual(["same"]);
    expect(errors.map((error) => [error.path.replace(`${dir}/`, ""), error.message])).toEqual([
      [
        "flows/added/flow.toml",
        `schemas/extra.json (next to the schema, so its $refs can load it) is a symlink to ${outside}, outside the flow folder`,
      ],
      ["flows/gone/flow.toml", 'schema "schemas/p.json" does not exist'],
      [
        "flows/renamed/flow.toml",
        `schemas/common.json (next to the schema, so its $refs can load it) is a symlink to ${outside}, outside the flow folder`,
      ],
    ]);
  });
});
