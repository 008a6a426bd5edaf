// Helpers for step scripts (run by Bun): read the run context, print the FLOW_RESULT line.
import type { FlowResult, RunContext } from "./types.js";

export type { FlowEvent, FlowResult, FlowStatus, NextEvent, RunContext } from "./types.js";

/** Prints the FLOW_RESULT line the engine reads. */
export function printResult(result: FlowResult): void {
  process.stdout.write(`\nFLOW_RESULT ${JSON.stringify(result)}\n`);
}

/** Reads the run context JSON the bun runner writes to stdin. */
export async function readContext<C extends RunContext = RunContext>(): Promise<C> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as C;
}
