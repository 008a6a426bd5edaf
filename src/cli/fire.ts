// `codex-flows fire --event FILE|-`: run every step the event matches, and the events they chain.
import { discoverFlows } from "../engine/discover.js";
import { fire } from "../engine/engine.js";
import { readEvent } from "../engine/event.js";
import { exitCodeFor } from "../engine/exit-code.js";
import { matchEvent } from "../engine/match.js";
import { discoveryWarnings, formatRun, formatSkip } from "./format.js";
import { cancelOnSignals, unlessInterrupted } from "./interrupt.js";
import { prefixedSink } from "./terminal-output.js";

export interface FireCommandOptions {
  cwd: string;
  event: string;
  json?: boolean;
  dryRun?: boolean;
  /** Every schema error of a rejected payload, not only the one-line reason. */
  verbose?: boolean;
  concurrency: number;
  maxDepth: number;
}

export async function fireCommand(options: FireCommandOptions): Promise<number> {
  const event = await readEvent(options.event);
  const discovery = discoverFlows(options.cwd);
  for (const warning of discoveryWarnings(options.cwd, discovery)) console.error(warning);

  if (options.dryRun) {
    const matched = matchEvent(event, discovery.flows);
    const wouldRun = matched.matches.map(({ flow, step }) => ({ flow: flow.name, step: step.name }));
    const errors = matched.errors.map((error) => ({ eventId: event.id, message: error.describe() }));
    if (options.json) {
      console.log(JSON.stringify({ event, dryRun: true, wouldRun, skipped: matched.skipped, errors }, null, 2));
    } else {
      console.log(`event ${event.id} (${event.type}): ${wouldRun.length} step(s) would run`);
      for (const run of wouldRun) console.log(`>> ${run.flow}/${run.step} would run`);
      for (const skip of matched.skipped) console.log(formatSkip(skip, options.verbose));
      for (const error of errors) console.log(`error: ${error.message}`);
    }
    return exitCodeFor([], errors.length + discovery.errors.length);
  }

  const interrupted = cancelOnSignals();
  const sinks = new Map<string, ReturnType<typeof prefixedSink>>();
  const report = await fire(event, discovery.flows, {
    concurrency: options.concurrency,
    maxDepth: options.maxDepth,
    signal: interrupted,
    outputFor: (match, current) => {
      const sink = prefixedSink(`[${match.flow.name}/${match.step.name}]`);
      sinks.set(`${current.id}\0${match.flow.name}\0${match.step.name}`, sink);
      return sink.sink;
    },
    onRun: (run) => {
      sinks.get(`${run.eventId}\0${run.flow}\0${run.step}`)?.flush();
      if (!options.json) console.log(formatRun(run));
    },
  });

  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    if (report.runs.length === 0) console.log(`event ${event.id} (${event.type}): no step matched`);
    // Non-matches of the fired event explain why something did not run; chained events' would be noise.
    for (const skip of report.skipped) if (skip.eventId === event.id) console.log(formatSkip(skip, options.verbose));
    for (const error of report.errors) console.log(`error: ${error.where ? `${error.where}: ` : ""}${error.message}`);
  }
  // A broken flow might have been one this event was meant for: the healthy ones ran, but exit 2 says
  // the configuration needs fixing (a failed step still wins with 1).
  const code = exitCodeFor(
    report.runs.map((run) => run.status),
    report.errors.length + discovery.errors.length,
  );
  return unlessInterrupted(code, interrupted);
}
