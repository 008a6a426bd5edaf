// Which Codex app-server a code-mode step starts: the resolution table over the seed's environment variables.
import { resolve } from "node:path";
import { inCodeMode, MODE_VARIABLE } from "./gate.js";

export const COMMAND_VARIABLE = "CODEX_APP_SERVER_CODEX_COMMAND";
export const PACKAGE_VARIABLE = "CODEX_APP_SERVER_CODEX_PACKAGE";
/** The Codex build with Code Mode that `CODEX_FLOWS_MODE=code-mode` runs by default. */
export const CODE_MODE_PACKAGE = "@peezy.tech/codex";

/** stdio transport plus the features Code Mode needs; stock Codex 0.169 accepts all of these flags. */
export const APP_SERVER_ARGS: readonly string[] = [
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
];

/** The setting that chose the command, so errors can say which variable to change. */
export type CommandSource = typeof COMMAND_VARIABLE | typeof PACKAGE_VARIABLE | typeof MODE_VARIABLE | "default";

export interface AppServerCommand {
  command: string;
  args: string[];
  chosenBy: CommandSource;
}

/** `./bin/codex` -> an absolute path; a bare name (`codex`) is left for PATH lookup. */
const absoluteIfPath = (command: string): string => (command.includes("/") ? resolve(command) : command);

const setting = (env: NodeJS.ProcessEnv, name: string): string | undefined => env[name]?.trim() || undefined;

/**
 * `CODEX_APP_SERVER_CODEX_COMMAND` (a local binary, run as is), else `bunx <CODEX_APP_SERVER_CODEX_PACKAGE>`,
 * else `bunx @peezy.tech/codex` when `CODEX_FLOWS_MODE=code-mode`, else `codex` from PATH.
 */
export function resolveAppServerCommand(env: NodeJS.ProcessEnv): AppServerCommand {
  const command = setting(env, COMMAND_VARIABLE);
  // A relative path means relative to where codex-flows was started, not to the step's cwd it runs in.
  if (command) return { command: absoluteIfPath(command), args: [...APP_SERVER_ARGS], chosenBy: COMMAND_VARIABLE };
  const pkg = setting(env, PACKAGE_VARIABLE);
  if (pkg) return { command: "bunx", args: [pkg, ...APP_SERVER_ARGS], chosenBy: PACKAGE_VARIABLE };
  if (inCodeMode(env))
    return { command: "bunx", args: [CODE_MODE_PACKAGE, ...APP_SERVER_ARGS], chosenBy: MODE_VARIABLE };
  return { command: "codex", args: [...APP_SERVER_ARGS], chosenBy: "default" };
}

/** The command as one line, for `list`, `check` and error messages. */
export function formatCommand(resolved: Pick<AppServerCommand, "command" | "args">): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`);
  return [resolved.command, ...resolved.args].map(quote).join(" ");
}

/** Why this command was picked, in words. */
export function describeChoice(resolved: AppServerCommand, env: NodeJS.ProcessEnv): string {
  switch (resolved.chosenBy) {
    case COMMAND_VARIABLE:
      return `${COMMAND_VARIABLE}=${setting(env, COMMAND_VARIABLE)}`;
    case PACKAGE_VARIABLE:
      return `${PACKAGE_VARIABLE}=${setting(env, PACKAGE_VARIABLE)}`;
    case MODE_VARIABLE:
      return `${MODE_VARIABLE}=code-mode`;
    default:
      return `none of ${COMMAND_VARIABLE}, ${PACKAGE_VARIABLE} or ${MODE_VARIABLE}=code-mode is set`;
  }
}

/** The sentence that tells a user how the app-server is chosen, for "not found" and "no Code Mode" errors. */
export const CHOOSING_HINT =
  `set ${COMMAND_VARIABLE}=/path/to/codex (a build with Code Mode), or ${PACKAGE_VARIABLE}=<npm package> ` +
  `to run it with bunx; with ${MODE_VARIABLE}=code-mode and neither set, bunx ${CODE_MODE_PACKAGE} is used`;
