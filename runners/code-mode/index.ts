// The built-in `code-mode` runner: runs the step script in a Codex app-server thread through Code Mode.
import { defineRunner } from "../../src/runner/runner.js";
import { describeChoice, formatCommand, resolveAppServerCommand } from "./app-server-command.js";
import { gateReason } from "./gate.js";
import { runCodeModeStep } from "./session.js";

export const codeModeRunner = defineRunner({
  name: "code-mode",
  unavailableReason: gateReason,
  describe(env) {
    const resolved = resolveAppServerCommand(env);
    return {
      summary: `app-server: ${formatCommand(resolved)} (${describeChoice(resolved, env)})`,
      details: { appServer: { command: resolved.command, args: resolved.args, chosenBy: resolved.chosenBy } },
    };
  },
  run: runCodeModeStep,
});

export default codeModeRunner;
