// The code-mode gate and the app-server command resolution table, one environment variable at a time.
import { describe, expect, test } from "vitest";
import {
  APP_SERVER_ARGS,
  describeChoice,
  formatCommand,
  resolveAppServerCommand,
} from "../runners/code-mode/app-server-command.js";
import { codeModeEnabled, gateReason, inCodeMode } from "../runners/code-mode/gate.js";
import { codeModeRunner } from "../runners/code-mode/index.js";
import { loadRunner } from "../src/engine/runner-registry.js";
import { PROJECT } from "./code-mode-helpers.js";

describe("the gate", () => {
  test.each([
    [{}, false],
    [{ CODEX_FLOWS_MODE: "code-mode" }, true],
    [{ CODEX_FLOWS_MODE: " Code-Mode " }, true],
    [{ CODEX_FLOWS_MODE: "bun" }, false],
    [{ CODEX_FLOWS_MODE: "" }, false],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "1" }, true],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "true" }, true],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "YES" }, true],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "on" }, true],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "0" }, false],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "false" }, false],
    [{ CODEX_FLOWS_ENABLE_CODE_MODE: "enabled" }, false],
    [{ CODEX_FLOWS_MODE: "other", CODEX_FLOWS_ENABLE_CODE_MODE: "1" }, true],
  ])("%o opens the gate: %s", (env, open) => {
    expect(codeModeEnabled(env)).toBe(open);
    expect(gateReason(env) === undefined).toBe(open);
  });

  test("the refusal names both variables and shows a wrong current mode", () => {
    expect(gateReason({})).toBe(
      "code-mode steps are disabled: set CODEX_FLOWS_MODE=code-mode, or CODEX_FLOWS_ENABLE_CODE_MODE=1 to enable only this runner",
    );
    expect(gateReason({ CODEX_FLOWS_MODE: "bun" })).toContain('set CODEX_FLOWS_MODE=code-mode (it is "bun")');
  });

  test("only CODEX_FLOWS_MODE puts codex-flows in Code Mode; the older switch only opens the gate", () => {
    expect(inCodeMode({ CODEX_FLOWS_MODE: "code-mode" })).toBe(true);
    expect(inCodeMode({ CODEX_FLOWS_ENABLE_CODE_MODE: "1" })).toBe(false);
  });
});

describe("which app-server is started", () => {
  const args = [...APP_SERVER_ARGS];

  test("the arguments are stdio plus the Code Mode features", () => {
    expect(args).toEqual([
      "app-server",
      "--listen",
      "stdio://",
      "--enable",
      "code_mode",
      "--enable",
      "code_mode_only",
      "--enable",
      "apps",
      "--enable",
      "hooks",
    ]);
  });

  test.each<[string, NodeJS.ProcessEnv, { command: string; args: string[]; chosenBy: string }]>([
    ["nothing set", {}, { command: "codex", args, chosenBy: "default" }],
    ["only the older gate", { CODEX_FLOWS_ENABLE_CODE_MODE: "1" }, { command: "codex", args, chosenBy: "default" }],
    [
      "code-mode mode",
      { CODEX_FLOWS_MODE: "code-mode" },
      { command: "bunx", args: ["@peezy.tech/codex", ...args], chosenBy: "CODEX_FLOWS_MODE" },
    ],
    [
      "a package",
      { CODEX_APP_SERVER_CODEX_PACKAGE: "@acme/codex@1.2.3" },
      { command: "bunx", args: ["@acme/codex@1.2.3", ...args], chosenBy: "CODEX_APP_SERVER_CODEX_PACKAGE" },
    ],
    [
      "a package in code-mode mode (the package wins)",
      { CODEX_FLOWS_MODE: "code-mode", CODEX_APP_SERVER_CODEX_PACKAGE: "@acme/codex" },
      { command: "bunx", args: ["@acme/codex", ...args], chosenBy: "CODEX_APP_SERVER_CODEX_PACKAGE" },
    ],
    [
      "a command (wins over everything)",
      {
        CODEX_FLOWS_MODE: "code-mode",
        CODEX_APP_SERVER_CODEX_PACKAGE: "@acme/codex",
        CODEX_APP_SERVER_CODEX_COMMAND: "/opt/codex/bin/codex",
      },
      { command: "/opt/codex/bin/codex", args, chosenBy: "CODEX_APP_SERVER_CODEX_COMMAND" },
    ],
    [
      "empty values count as unset",
      { CODEX_APP_SERVER_CODEX_COMMAND: " ", CODEX_APP_SERVER_CODEX_PACKAGE: "" },
      { command: "codex", args, chosenBy: "default" },
    ],
  ])("%s", (_, env, expected) => {
    expect(resolveAppServerCommand(env)).toEqual(expected);
  });

  test("the command and the reason for it read as one line each", () => {
    const env = { CODEX_FLOWS_MODE: "code-mode" };
    const resolved = resolveAppServerCommand(env);
    expect(formatCommand(resolved)).toBe(
      "bunx @peezy.tech/codex app-server --listen stdio:// --enable code_mode --enable code_mode_only --enable apps --enable hooks",
    );
    expect(describeChoice(resolved, env)).toBe("CODEX_FLOWS_MODE=code-mode");
    expect(formatCommand({ command: "/opt/my codex", args: ["it's"] })).toBe("'/opt/my codex' 'it'\\''s'");
  });

  test("the runner describes its launch for list and check", () => {
    expect(codeModeRunner.describe?.({ CODEX_APP_SERVER_CODEX_COMMAND: "/opt/codex" })).toEqual({
      summary: `app-server: /opt/codex ${args.join(" ")} (CODEX_APP_SERVER_CODEX_COMMAND=/opt/codex)`,
      details: { appServer: { command: "/opt/codex", args, chosenBy: "CODEX_APP_SERVER_CODEX_COMMAND" } },
    });
  });
});

test("code-mode is a built-in runner loaded through the registry", async () => {
  const runner = await loadRunner("code-mode", PROJECT);
  expect(runner).toBe(codeModeRunner);
  expect(runner.name).toBe("code-mode");
});
