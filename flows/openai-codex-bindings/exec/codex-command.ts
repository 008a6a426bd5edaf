// The Codex that generates the bindings: the configured command for the release's version, checked to be that version.
import { runCommand, tail } from "./run-command.js";

export const COMMAND_VARIABLE = "CODEX_FLOW_BINDINGS_CODEX_COMMAND";
export const DEFAULT_COMMAND = "npx -y @openai/codex@{version}";

export interface CodexCommand {
  command: string;
  args: string[];
  /** Which setting chose it, for messages. */
  chosenBy: string;
}

/** `CODEX_FLOW_BINDINGS_CODEX_COMMAND`, else `[config] codex_command`; split on spaces, `{version}` filled in. */
export function codexCommand(configured: string, version: string, env: NodeJS.ProcessEnv): CodexCommand {
  const fromEnv = env[COMMAND_VARIABLE]?.trim();
  const template = fromEnv || configured.trim() || DEFAULT_COMMAND;
  const chosenBy = fromEnv ? COMMAND_VARIABLE : "[config] codex_command";
  const [command, ...args] = template.replaceAll("{version}", version).split(/\s+/);
  return { command: command ?? "codex", args, chosenBy };
}

export const describeCommand = (codex: CodexCommand) => [codex.command, ...codex.args].join(" ");

/**
 * The version the command reports (`codex --version` prints `codex-cli 0.169.0`), or an error message.
 * Checked because bindings headed "0.171.0" must come from Codex 0.171.0, whatever the command is.
 */
export async function reportedVersion(codex: CodexCommand, cwd: string): Promise<{ version?: string; error?: string }> {
  const result = await runCommand(codex.command, [...codex.args, "--version"], cwd);
  const version = /\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?/.exec(result.stdout)?.[0];
  if (result.code === 0 && version) return { version };
  return {
    error:
      `\`${describeCommand(codex)} --version\` (from ${codex.chosenBy}) exited ${result.code} ` +
      `without naming a version:\n${tail(result.output)}`,
  };
}

/** Runs the app-server's own generator into `outDir`; returns an error message when it fails. */
export async function generateTypeScript(
  codex: CodexCommand,
  outDir: string,
  cwd: string,
): Promise<string | undefined> {
  const result = await runCommand(codex.command, [...codex.args, "app-server", "generate-ts", "--out", outDir], cwd);
  if (result.code === 0) return undefined;
  return `\`${describeCommand(codex)} app-server generate-ts\` exited ${result.code}:\n${tail(result.output)}`;
}
