// Issue 13, item 23: the reason a oneOf schema rejects a payload is one line (the branch whose `action`
// matches, its first errors, a count of the rest); every error comes with --verbose and in --json.
import { describe, expect, test } from "vitest";
import { bigPayload, bigSchema } from "../bench/big-schema.mjs";
import { jsonOf, runCli, tempDir, writeEvent, writeFiles } from "./helpers.js";

interface Skip {
  flow: string;
  step: string;
  reason: string;
  errors?: string[];
}

/** One flow on `e1_event` of the 337-definition schema: `oneOf` six actions, each `action` a const. */
function project(): string {
  return writeFiles(tempDir(), {
    "flows/hooks/flow.toml":
      'name = "hooks"\n[[steps]]\nname = "on-e1"\nrunner = "bun"\nscript = "main.ts"\n' +
      '[steps.trigger]\ntype = "github.e1"\nschema = "schemas/e1.schema.json"\n',
    "flows/hooks/main.ts": 'console.log("FLOW_RESULT " + JSON.stringify({ status: "completed" }));\n',
    "flows/hooks/schemas/big.schema.json": JSON.stringify(bigSchema()),
    "flows/hooks/schemas/e1.schema.json": JSON.stringify({ $ref: "big.schema.json#/definitions/e1_event" }),
  });
}

/** An `a2` payload with five mistakes, all in the branch it is meant for. */
function badPayload(): Record<string, unknown> {
  const payload = bigPayload(1, 2) as Record<string, Record<string, unknown>>;
  return {
    ...payload,
    e1: { ...payload.e1, title: 5, number: "seven" },
    sender: { ...payload.sender, login: 1 },
    repository: { ...payload.repository, id: "r" },
    surprise: true,
  };
}

async function dryRun(dir: string, payload: object, args: string[] = [], cacheDir = tempDir()) {
  const event = writeEvent(tempDir(), { id: "e", type: "github.e1", payload });
  return runCli(["fire", "--dry-run", "--cwd", dir, "--event", event, ...args], {
    env: { CODEX_FLOWS_CACHE_DIR: cacheDir },
  });
}

describe("a payload rejected by a oneOf schema", () => {
  test("the reason is one line: the matching branch's first errors and a count; --json has them all", async () => {
    const dir = project();
    const cacheDir = tempDir();
    const json = jsonOf<{ skipped: Skip[] }>(await dryRun(dir, badPayload(), ["--json"], cacheDir));
    const skip = json.skipped[0] as Skip;
    expect(skip.reason).toBe(
      'payload invalid at /: unknown field "surprise"; /e1/number: must be integer; ' +
        '/e1/title: must be string (and 2 more, in the branch e1$a2 for action "a2")',
    );
    // Every branch's errors: the five of a2, and the other five branches' `action` const and more.
    expect(skip.errors?.length).toBeGreaterThan(25);
    expect(skip.errors).toContain("/action: must be equal to constant");
    expect(skip.errors).toContain("/sender/login: must be string");
    expect(skip.errors).toContain("/repository/id: must be integer");

    // The same from the on-disk cache, which carries the branch validators along.
    const again = jsonOf<{ skipped: Skip[] }>(await dryRun(dir, badPayload(), ["--json"], cacheDir));
    expect(again.skipped[0]?.reason).toBe(skip.reason);

    const text = await dryRun(dir, badPayload(), [], cacheDir);
    const line = text.stdout.split("\n").find((entry) => entry.includes("hooks/on-e1 not run"));
    expect(line).toBe(`   hooks/on-e1 not run: ${skip.reason}`);
    expect(text.stdout).not.toContain("/action: must be equal to constant");

    const verbose = await dryRun(dir, badPayload(), ["--verbose"], cacheDir);
    expect(verbose.stdout).toContain(`      all ${skip.errors?.length} schema error(s):\n`);
    for (const error of skip.errors ?? []) expect(verbose.stdout).toContain(`        ${error}\n`);
  });

  test("nested oneOfs (every event, then its actions): the branch with that action and fewest errors", async () => {
    const dir = writeFiles(tempDir(), {
      "flows/hooks/flow.toml":
        'name = "hooks"\n[[steps]]\nname = "any"\nrunner = "bun"\nscript = "main.ts"\n' +
        '[steps.trigger]\ntype = "github.e1"\nschema = "schemas/any.schema.json"\n',
      "flows/hooks/main.ts": "",
      "flows/hooks/schemas/big.schema.json": JSON.stringify(bigSchema({ events: 8 })),
      "flows/hooks/schemas/any.schema.json": JSON.stringify({ $ref: "big.schema.json#/definitions/webhook_event" }),
    });
    const payload = bigPayload(5, 3) as Record<string, Record<string, unknown>>;
    const bad = { ...payload, e5: { ...payload.e5, title: null } };
    const json = jsonOf<{ skipped: Skip[] }>(await dryRun(dir, bad, ["--json"]));
    expect(json.skipped[0]?.reason).toBe(
      'payload invalid at /e5/title: must be string (in the branch e5$a3 for action "a3")',
    );
    expect(json.skipped[0]?.errors?.length).toBeGreaterThan(40);
  });

  test("an action no branch has is named, with the actions there are", async () => {
    const json = jsonOf<{ skipped: Skip[] }>(
      await dryRun(project(), { ...bigPayload(1, 0), action: "nope" }, ["--json"]),
    );
    expect(json.skipped[0]?.reason).toBe(
      'payload invalid at /action: "nope" fits no branch of the schema (allowed: "a0", "a1", "a2", "a3", "a4", "a5")',
    );
  });

  test("a fitting payload still runs, and a schema without branches keeps its first errors and a count", async () => {
    expect(
      jsonOf<{ wouldRun: unknown[] }>(await dryRun(project(), bigPayload(1, 4), ["--json"])).wouldRun,
    ).toHaveLength(1);
    const dir = writeFiles(tempDir(), {
      "flows/plain/flow.toml":
        'name = "plain"\n[[steps]]\nname = "main"\nrunner = "bun"\nscript = "main.ts"\n' +
        '[steps.trigger]\ntype = "github.e1"\nschema = "s.schema.json"\n',
      "flows/plain/main.ts": "",
      "flows/plain/s.schema.json": JSON.stringify({
        type: "object",
        properties: Object.fromEntries(["a", "b", "c", "d", "e"].map((key) => [key, { type: "string" }])),
      }),
    });
    const json = jsonOf<{ skipped: Skip[] }>(await dryRun(dir, { a: 1, b: 1, c: 1, d: 1, e: 1 }, ["--json"]));
    expect(json.skipped[0]?.reason).toBe(
      "payload invalid at /a: must be string; /b: must be string; /c: must be string (and 2 more)",
    );
    expect(json.skipped[0]?.errors).toHaveLength(5);
  });
});
