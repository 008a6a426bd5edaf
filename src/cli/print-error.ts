// How the CLI reports an error that ends a command: one line on stderr, and with --json an object on stdout too.
import { describeError, FlowError } from "../core/errors.js";
import { err } from "./colors.js";

export interface ErrorOutput {
  json?: boolean;
  debug?: boolean;
}

/**
 * Prints `error` and returns its exit code: 2 for usage, configuration and event errors (cac's own
 * included), 1 for anything else (a runner that cannot start, a bug). With --json, a script reading
 * stdout gets `{ "ok": false, "error": { code, message, where?, hint? } }` instead of nothing.
 */
export function printError(error: unknown, output: ErrorOutput): number {
  const usage = (error instanceof FlowError && error.code !== "runner") || (error as Error)?.name === "CACError";
  console.error(err().red(`error: ${describeError(error)}`));
  if (output.debug && error instanceof Error && error.stack) console.error(error.stack);
  if (output.json) console.log(JSON.stringify({ ok: false, error: errorJson(error, usage) }, null, 2));
  return usage ? 2 : 1;
}

function errorJson(error: unknown, usage: boolean): Record<string, unknown> {
  if (error instanceof FlowError) {
    return {
      code: error.code,
      message: error.message,
      ...(error.where ? { where: error.where } : {}),
      ...(error.hint ? { hint: error.hint } : {}),
    };
  }
  return { code: usage ? "usage" : "internal", message: describeError(error) };
}
