// The CLI's contract: events from files and stdin, readable one-line errors, exit codes of every command.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { FIXTURES, jsonOf, ROOT, runCli, tempDir, writeEvent, writeFiles } from "./helpers.js";

const outcomes = join(FIXTURES, "outcomes");
const schemas = join(FIXTURES, "schemas");

describe("events", () => {
  test("--event - reads the event from stdin and fills receivedAt", async () => {
    const input = JSON.stringify({ id: "stdin-1", type: "status.completed", custom: { kept: true } });
    const result = await runCli(["fire", "--cwd", outcomes, "--event", "-", "--json"], { input });
    expect(result.code).toBe(0);
    const report = jsonOf<{ event: Record<string, unknown>; runs: { eventId: string }[] }>(result);
    expect(report.event).toMatchObject({
      id: "stdin-1",
      type: "status.completed",
      custom: { kept: true },
      payload: {},
    });
    expect(new Date(String(report.event.receivedAt)).toISOString()).toBe(report.event.receivedAt);
    expect(report.runs.map((run) => run.eventId)).toEqual(["stdin-1"]);
  });

  test.each([
    ["not JSON", "{nope", /^error: stdin: not valid JSON: /],
    ["an array", "[]", /^error: stdin: an event must be a JSON object \(expected/],
    ["missing id", '{"type":"x"}', /^error: stdin: not a valid FlowEvent: \/: must have required property 'id'/],
    [
      "empty type",
      '{"id":"a","type":""}',
      /^error: stdin: not a valid FlowEvent: \/type: must NOT have fewer than 1 characters/,
    ],
    ["a numeric id", '{"id":7,"type":"x"}', /^error: stdin: not a valid FlowEvent: \/id: must be string/],
  ])("an event that is %s is exit 2 with one readable line", async (_what, input, message) => {
    const result = await runCli(["fire", "--cwd", outcomes, "--event", "-"], { input });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stdout).toBe("");
  });

  test("a missing event file names the file and how to pass one", async () => {
    const result = await runCli(["fire", "--cwd", outcomes, "--event", "/nonexistent/e.json"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: /nonexistent/e.json: event file not found (pass --event FILE, or --event - to read the event from stdin)\n",
    );
  });

  test("fire and run without --event are usage errors", async () => {
    for (const args of [["fire"], ["run", "a", "b"]]) {
      const result = await runCli([...args, "--cwd", outcomes]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("error: --event is required");
    }
  });
});

describe("schema matching reasons", () => {
  test("dry-run --json explains each non-match; a broken schema is an error naming its file", async () => {
    const file = writeEvent(tempDir(), {
      id: "rel",
      type: "upstream.release",
      payload: { repo: "openai/codex", version: "1.2", assets: [{ name: 3 }] },
    });
    const result = await runCli(["fire", "--cwd", schemas, "--event", file, "--dry-run", "--json"]);
    expect(result.code).toBe(2);
    const report = jsonOf<{ wouldRun: unknown[]; skipped: object[]; errors: { message: string }[] }>(result);
    expect(report.wouldRun).toEqual([]);
    expect(report.skipped).toEqual([
      {
        flow: "broken-schema",
        step: "main",
        reason: expect.stringMatching(
          /^schema error: .*broken-schema\/schemas\/broken.schema.json:1:21: schema is not valid JSON/,
        ),
      },
      {
        flow: "other-type",
        step: "main",
        reason: 'type differs: event is "upstream.release", step wants "something.else"',
      },
      {
        flow: "release-07",
        step: "main",
        reason: 'payload invalid at /version: must match pattern "^\\d+\\.\\d+\\.\\d+$"',
        errors: ['/version: must match pattern "^\\d+\\.\\d+\\.\\d+$"'],
      },
      {
        flow: "release-2020",
        step: "main",
        reason: "payload invalid at /assets/0/name: must be string",
        errors: ["/assets/0/name: must be string"],
      },
    ]);
    expect(report.errors).toHaveLength(1);
  });

  test("draft-07 with a sibling $ref and 2020-12 with prefixItems both accept a fitting payload", async () => {
    const file = writeEvent(tempDir(), {
      id: "rel-ok",
      type: "upstream.release",
      payload: {
        repo: "openai/codex",
        version: "0.169.0",
        assets: [{ name: "codex.tgz" }],
        publishedAt: "2026-11-01T10:00:00Z",
      },
    });
    const result = await runCli(["fire", "--cwd", schemas, "--event", file, "--dry-run", "--json"]);
    expect(jsonOf<{ wouldRun: object[] }>(result).wouldRun).toEqual([
      { flow: "release-07", step: "main" },
      { flow: "release-2020", step: "main" },
    ]);
  });

  test("run refuses a payload its step's schema rejects, with exit 2 and the reason", async () => {
    const file = writeEvent(tempDir(), {
      id: "r",
      type: "upstream.release",
      payload: { repo: "other/repo", version: "1.0.0" },
    });
    const result = await runCli(["run", "release-07", "main", "--cwd", schemas, "--event", file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: release-07/main: event does not fit the step: payload invalid at /repo: must be equal to constant\n",
    );
  });
});

describe("commands and exit codes", () => {
  test("--version prints the package version", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const result = await runCli(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(version);
  });

  test("check is 0 on a healthy project and 2 on a broken one", async () => {
    expect((await runCli(["check", "--cwd", outcomes])).code).toBe(0);
    const broken = await runCli(["check", "--cwd", join(FIXTURES, "broken-manifests")]);
    expect(broken.code).toBe(2);
    expect(broken.stdout).toContain("10 problem(s) in 1 flow(s), 1 step(s)");
  });

  test("run: unknown flow and unknown step are exit 2 and list what exists", async () => {
    const file = writeEvent(tempDir(), { id: "x", type: "status.completed" });
    const noFlow = await runCli(["run", "nope", "main", "--cwd", outcomes, "--event", file]);
    expect(noFlow.code).toBe(2);
    expect(noFlow.stderr).toMatch(/^error: no flow named "nope" \(flows found: bad-json, bad-status, chain, /);
    const noStep = await runCli(["run", "chain", "nope", "--cwd", outcomes, "--event", file]);
    expect(noStep.code).toBe(2);
    expect(noStep.stderr).toBe('error: flow "chain" has no step "nope" (its steps: start)\n');
  });

  test("run names a flow that exists but is broken", async () => {
    const file = writeEvent(tempDir(), { id: "x", type: "test.event" });
    const result = await runCli([
      "run",
      "zero-timeout",
      "main",
      "--cwd",
      join(FIXTURES, "broken-manifests"),
      "--event",
      file,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'error: flow "zero-timeout" has errors: flows/zero-timeout/flow.toml: steps[0].timeout_ms',
    );
  });

  test("unknown commands and options are usage errors; --debug adds a stack", async () => {
    const unknown = await runCli(["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: unknown command "frobnicate" (run `codex-flows --help` for the commands)\n');
    const badOption = await runCli(["list", "--nope"]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toBe("error: Unknown option `--nope`\n");
    const debug = await runCli(["fire", "--event", "/nonexistent.json", "--debug"]);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/^error: .*\n.*EventError: event file not found\n\s+at /);
  });

  test("an empty project lists nothing, and check says it found nothing to check (exit 2)", async () => {
    const dir = writeFiles(tempDir(), { "README.md": "no flows here" });
    const list = await runCli(["list", "--cwd", dir]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain("No flows found");
    expect((await runCli(["check", "--cwd", dir])).code).toBe(2);
  });
});

test("a --cwd that is not a folder is a usage error for every command, not an empty project", async () => {
  for (const args of [["list"], ["check"], ["codegen", "--check"], ["fire", "--event", "x.json"]]) {
    const result = await runCli([...args, "--cwd", "/nonexistent/project"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "error: --cwd /nonexistent/project is not a folder (pass the project folder that holds flows/)\n",
    );
  }
});

test("an explicit payload of null is kept as null, not replaced", async () => {
  const input = JSON.stringify({ id: "n", type: "nobody.listens", payload: null });
  const result = await runCli(["fire", "--dry-run", "--json", "--cwd", outcomes, "--event", "-"], { input });
  expect(jsonOf<{ event: { payload: unknown } }>(result).event.payload).toBeNull();
});
