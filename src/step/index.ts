// `codex-flows/step`, what step scripts import: `defineStep` reads the run context and prints the FLOW_RESULT line.

import { describeError, UsageError } from "../core/errors.js";
import type { FlowEvent, FlowResult, NextEvent, RunContext } from "../core/types.js";
import { contractProblems } from "../schema/contracts.js";

export type { FlowEvent, FlowResult, FlowStatus, NextEvent, RunContext, RunContextFlow } from "../core/types.js";
export { type ConfigValue, configValue, enabled, envOverrideName, type HasConfig } from "./step-config.js";

const RESULT_PREFIX = "FLOW_RESULT ";

declare const untyped: unique symbol;
/** The default event map of `defineStep`: `next` entries are plain NextEvents. */
export interface UntypedEvents {
  readonly [untyped]: true;
}

/** A `next` entry for one event type of the map `M` (e.g. the generated FlowEventMap), with its payload type. */
export type TypedNextEvent<M> = {
  [K in keyof M & string]: { type: K; payload: M[K]; id?: string; source?: string; occurredAt?: string };
}[keyof M & string];

export type NextFor<M> = [M] extends [UntypedEvents] ? NextEvent : TypedNextEvent<M>;

/** What a step handler returns; with an event map, each `next` event's payload is checked against its type. */
export interface StepResult<M = UntypedEvents> extends Pick<FlowResult, "status" | "message" | "artifacts"> {
  next?: NextFor<M>[];
}

/** Any run context: the generated `<Step>Context` types all fit. */
export type AnyRunContext = RunContext<FlowEvent, object>;

export type StepHandler<C extends AnyRunContext, M> = (ctx: C) => StepResult<M> | Promise<StepResult<M>>;

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Reads the run context JSON the runner writes to stdin and checks it against schemas/run-context.schema.json. */
export async function readContext<C extends AnyRunContext = RunContext>(): Promise<C> {
  const hint = "a step reads its run context on stdin: run it with `codex-flows run <flow> <step> --event FILE`";
  const text = await readStdin();
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`run context is not JSON (${(error as Error).message})`, {
      where: "stdin",
      hint,
      cause: error,
    });
  }
  const problems = contractProblems("runContext", value);
  if (problems.length > 0) {
    throw new UsageError(`not a valid run context: ${problems.join("; ")}`, { where: "stdin", hint });
  }
  return value as C;
}

/** Prints a FLOW_RESULT line on a line of its own. */
export function printResult(result: FlowResult): void {
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** The handler's return value as a result line, or an error saying what is wrong with it. */
function resultLine(value: unknown): string {
  const problems = contractProblems("result", value);
  if (problems.length > 0) {
    throw new UsageError(`the step handler returned an invalid result: ${problems.join("; ")}`, {
      hint: 'return an object like { status: "completed", message: "..." }',
    });
  }
  return `${RESULT_PREFIX}${JSON.stringify(value)}`;
}

/**
 * Runs a step: reads and validates the run context from stdin, calls `handler` with it (typed as `C`,
 * e.g. the generated `GreetContext`), and prints the FLOW_RESULT line from what it returns. A thrown
 * error becomes `{ status: "failed", message }`, its stack goes to stderr and the exit code is 1.
 * Whatever the handler prints itself is left alone. Pass an event map `M` to type `next` events.
 */
export async function defineStep<C extends AnyRunContext = RunContext, M = UntypedEvents>(
  handler: StepHandler<C, M>,
): Promise<void> {
  let line: string;
  try {
    line = resultLine(await handler(await readContext<C>()));
  } catch (error) {
    console.error(error instanceof Error && !(error instanceof UsageError) ? error.stack : describeError(error));
    line = `${RESULT_PREFIX}${JSON.stringify({ status: "failed", message: describeError(error) })}`;
    process.exitCode = 1;
  }
  // Always on a fresh line: the handler may have left one open, by any of several ways to write stdout.
  process.stdout.write(`\n${line}\n`);
}
