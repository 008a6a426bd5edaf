// Issue 13, item 8: what `fire` prints while steps run, colour on terminals only, and help without internals.
import { describe, expect, test } from "vitest";
import { oneStepManifest, resultScript, runCli, tempDir, writeEvent, writeFiles } from "./helpers.js";

/** Flow `x` (step `main` on `t`, printing a line, a blank line, then its result) and two unrelated flows. */
function project(): string {
  return writeFiles(tempDir(), {
    "flows/x/flow.toml": oneStepManifest("x", "main", "t"),
    "flows/x/exec/main.ts": resultScript(
      { status: "completed", message: "done" },
      'console.log("working");\nconsole.log("");\nconsole.log("still working");\nconsole.log("");',
    ),
    "flows/y/flow.toml": oneStepManifest("y", "main", "other.type"),
    "flows/y/exec/main.ts": resultScript({ status: "completed" }),
    "flows/z/flow.toml": oneStepManifest("z", "main", "third.type"),
    "flows/z/exec/main.ts": resultScript({ status: "completed" }),
  });
}

/** The escape that starts every ANSI colour sequence. */
const ESC = "\u001b[";
const NO_COLOR_ENV = { FORCE_COLOR: undefined, NO_COLOR: undefined };

describe("fire output", () => {
  test("a header, a line as each step starts, its output without the FLOW_RESULT echo, then its run line", async () => {
    const dir = project();
    const fired = await runCli(["fire", "--cwd", dir, "--event", writeEvent(dir, { id: "e1", type: "t" })], {
      env: NO_COLOR_ENV,
    });
    expect(fired.code).toBe(0);
    const lines = fired.stdout.split("\n");
    expect(lines[0]).toBe(
      "event e1 (t): 1 step(s) to run; 2 step(s) of other event types not run (--verbose lists them)",
    );
    expect(lines[1]).toBe(">> x/main started");
    expect(lines[2]).toMatch(/^ok x\/main completed in \d+ ms: done$/);
    expect(lines.slice(3)).toEqual([""]);
    // A blank line mid-output is kept; the one right before the result (defineStep prints one) is not.
    expect(fired.stderr).toBe("[x/main] working\n[x/main]\n[x/main] still working\n");
    expect(fired.stderr).not.toContain("FLOW_RESULT");
  });

  test("--verbose lists the steps of other event types, before the runs", async () => {
    const dir = project();
    const fired = await runCli(
      ["fire", "--verbose", "--cwd", dir, "--event", writeEvent(dir, { id: "e1", type: "t" })],
      {
        env: NO_COLOR_ENV,
      },
    );
    expect(fired.stdout.split("\n").slice(0, 4)).toEqual([
      "event e1 (t): 1 step(s) to run",
      '   y/main not run: type differs: event is "t", step wants "other.type"',
      '   z/main not run: type differs: event is "t", step wants "third.type"',
      ">> x/main started",
    ]);
  });

  test("colour only when asked or on a terminal: FORCE_COLOR=1 colours, NO_COLOR and FORCE_COLOR=0 do not", async () => {
    const dir = project();
    const event = writeEvent(dir, { id: "e1", type: "t" });
    const fire = (env: NodeJS.ProcessEnv) => runCli(["fire", "--cwd", dir, "--event", event], { env });
    const forced = await fire({ FORCE_COLOR: "1", NO_COLOR: undefined });
    expect(forced.stdout).toContain(ESC);
    expect(forced.stdout).toContain("\u001b[32mok x/main completed");
    expect(forced.stderr).toContain(ESC);
    for (const env of [NO_COLOR_ENV, { FORCE_COLOR: undefined, NO_COLOR: "1" }, { FORCE_COLOR: "0" }]) {
      const plain = await fire(env);
      expect(plain.stdout).not.toContain(ESC);
      expect(plain.stderr).not.toContain(ESC);
    }
  });
});

describe("help", () => {
  test("backend --help hides the internal flags; fire --help says --event is required", async () => {
    const backend = await runCli(["backend", "--help"]);
    expect(backend.code).toBe(0);
    expect(backend.stdout).toContain("--data-dir <dir>");
    for (const flag of ["--flow", "--step", "--result-file", "internal"]) expect(backend.stdout).not.toContain(flag);
    const fire = await runCli(["fire", "--help"]);
    expect(fire.stdout).toMatch(/--event <file> +Event JSON file, or - for stdin \(required\)/);
    expect(fire.stdout).toContain("--verbose");
    expect(fire.stdout).toContain("$ codex-flows fire --event <file|-> [options]");
  });
});
