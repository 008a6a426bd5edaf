// `codex-flows backend logs <run-id> [--follow]` and the live part of `--wait`: a backend run's output on the terminal.
import { type BackendClient, pathSegment } from "../client/backend-client.js";
import { followRunOutput, type RunEnd, storedRunOutput } from "../client/run-output.js";
import { type WaitedRuns, waitForRuns } from "../client/wait-for-runs.js";
import type { FlowStatus } from "../core/types.js";
import { EXIT_OK, exitCodeFor } from "../engine/exit-code.js";
import { FINISHED_STATUSES, type RunRecord, type RunStatus } from "../wire/records.js";
import { formatRunLine } from "./backend-format.js";
import { err } from "./colors.js";
import { cancelOnSignals, unlessInterrupted } from "./interrupt.js";
import { runOutputPrinter } from "./run-output-printer.js";

/** The step status a run stands for in exit codes: its FLOW_RESULT, or failed for a failed or canceled run. */
export function statusForExit(run: Pick<RunRecord, "status" | "resultStatus">): FlowStatus {
  if (run.status !== "completed") return "failed";
  return (run.resultStatus as FlowStatus | null) ?? "completed";
}

const endStatus = (end: RunEnd) => statusForExit({ status: end.status, resultStatus: end.result?.status ?? null });

/**
 * Prints the run's stored output; with `follow`, then its new output until it ends, and exits with
 * its exit code (0 completed, 1 failed or canceled, 3 blocked or needs_intervention). Ctrl-C stops
 * following (130) and leaves the run alone. Without `follow` a run still going exits 0.
 */
export async function logsCommand(client: BackendClient, runId: string, follow: boolean): Promise<number> {
  const { body } = await client.send<{ run: RunRecord }>("GET", `/runs/${pathSegment(runId)}`);
  const printer = runOutputPrinter(body.run.flow, body.run.step, { splitStreams: true });
  if (!follow) {
    const status = (await storedRunOutput(client, runId, (chunk) => printer.chunk(chunk))) as RunStatus;
    printer.flush();
    return FINISHED_STATUSES.includes(status) ? exitCodeFor([statusForExit(body.run)]) : EXIT_OK;
  }
  const interrupted = cancelOnSignals();
  try {
    const end = await followRunOutput(
      client,
      runId,
      { chunk: (chunk) => printer.chunk(chunk) },
      { signal: interrupted },
    );
    printer.flush();
    const result = end.result ? ` [${end.result.status}]` : "";
    const error = end.error && end.status !== "completed" ? `: ${end.error.split("\n")[0]}` : "";
    process.stderr.write(`${err().dim(`>> ${body.run.flow}/${body.run.step} ${end.status}${result}${error}`)}\n`);
    return exitCodeFor([endStatus(end)]);
  } catch (error) {
    printer.flush();
    if (interrupted.aborted) return unlessInterrupted(EXIT_OK, interrupted);
    throw error;
  }
}

/**
 * `--wait`: follows the runs and the runs their next events start, printing their output as it comes
 * (unless `quiet`). Undefined after Ctrl-C (the runs go on).
 */
export async function waitWithOutput(
  client: BackendClient,
  eventId: string,
  runIds: string[],
  quiet: boolean,
): Promise<WaitedRuns | undefined> {
  const interrupted = cancelOnSignals();
  const printers = new Map<string, ReturnType<typeof runOutputPrinter>>();
  const printerOf = (run: RunRecord) => {
    let printer = printers.get(run.id);
    if (!printer) {
      printer = runOutputPrinter(run.flow, run.step, { splitStreams: false });
      printers.set(run.id, printer);
    }
    return printer;
  };
  try {
    return await waitForRuns(client, runIds, {
      eventId,
      signal: interrupted,
      handlers: quiet ? {} : { chunk: (run, chunk) => printerOf(run).chunk(chunk) },
    });
  } catch (error) {
    if (interrupted.aborted) return undefined;
    throw error;
  } finally {
    for (const printer of printers.values()) printer.flush();
  }
}

/** The lines `--wait` ends with, and its exit code over every run, the chained ones included. */
export function waitedReport(waited: WaitedRuns): { lines: string[]; code: number } {
  const lines = [...waited.runs.map(formatRunLine), ...waited.chained.map((run) => `  next: ${formatRunLine(run)}`)];
  return { lines, code: exitCodeFor([...waited.runs, ...waited.chained].map(statusForExit)) };
}
