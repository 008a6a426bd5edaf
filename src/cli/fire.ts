// `codex-flows fire --event FILE|-`: run every step the event matches, and the events they chain.
import type { FlowEvent } from "../core/types.js";
import { type Discovery, discoverFlows } from "../engine/discover.js";
import { fire } from "../engine/engine.js";
import { readEvent } from "../engine/event.js";
import { EXIT_USAGE, exitCodeFor } from "../engine/exit-code.js";
import { type MatchResult, matchEvent } from "../engine/match.js";
import { err, out } from "./colors.js";
import { isSchemaError, matchedLines, runLine, startLine, turnedAway } from "./fire-lines.js";
import { discoveryWarnings, formatSkip } from "./format.js";
import { cancelOnSignals, unlessInterrupted } from "./interrupt.js";
import { runnerFacts } from "./runner-facts.js";
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
  for (const warning of discoveryWarnings(options.cwd, discovery)) console.error(err().yellow(warning));
  if (options.dryRun) return dryRun(event, options, discovery);

  const interrupted = cancelOnSignals();
  const sinks = new Map<string, ReturnType<typeof prefixedSink>>();
  let root: MatchResult | undefined;
  const report = await fire(event, discovery.flows, {
    concurrency: options.concurrency,
    maxDepth: options.maxDepth,
    signal: interrupted,
    onMatched: (current, matched, depth) => {
      if (depth > 0) return;
      root = matched;
      if (!options.json) console.log(matchedLines(current, matched, options.verbose ?? false).join("\n"));
    },
    onStart: (match, current) => {
      if (!options.json) console.log(startLine(match, current, event));
    },
    outputFor: (match, current) => {
      const sink = prefixedSink(err().dim(`[${match.flow.name}/${match.step.name}]`));
      sinks.set(`${current.id}\0${match.flow.name}\0${match.step.name}`, sink);
      return sink.sink;
    },
    onRun: (run) => {
      sinks.get(`${run.eventId}\0${run.flow}\0${run.step}`)?.flush();
      if (!options.json) console.log(runLine(run));
    },
  });

  if (options.json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    for (const error of report.errors) {
      console.log(out().red(`error: ${error.where ? `${error.where}: ` : ""}${error.message}`));
    }
  }
  // A broken flow might have been one this event was meant for: the healthy ones ran, but exit 2 says
  // the configuration needs fixing (a failed step still wins with 1).
  const code = exitCodeFor(
    report.runs.map((run) => run.status),
    report.errors.length + discovery.errors.length,
  );
  // Nothing ran then, so no step failed: the only question is whether the event was turned away.
  const rejected = root !== undefined && turnedAway(root);
  return unlessInterrupted(rejected ? EXIT_USAGE : code, interrupted);
}

/** `--dry-run`: what would run, why every other step would not, and any runner that could not start here. */
async function dryRun(event: FlowEvent, options: FireCommandOptions, discovery: Discovery): Promise<number> {
  const matched = matchEvent(event, discovery.flows);
  const wouldRun = await Promise.all(
    matched.matches.map(async ({ flow, step }) => {
      const missing = (await runnerFacts(flow, step))?.missing;
      return { flow: flow.name, step: step.name, ...(missing ? { runnerMissing: missing } : {}) };
    }),
  );
  const errors = matched.errors.map((error) => ({ eventId: event.id, message: error.describe() }));
  for (const run of wouldRun) {
    if (run.runnerMissing) errors.push({ eventId: event.id, message: `${run.flow}/${run.step}: ${run.runnerMissing}` });
  }
  if (options.json) {
    console.log(JSON.stringify({ event, dryRun: true, wouldRun, skipped: matched.skipped, errors }, null, 2));
  } else {
    console.log(`event ${event.id} (${event.type}): ${wouldRun.length} step(s) would run`);
    for (const run of wouldRun)
      console.log(`>> ${run.flow}/${run.step} would run${run.runnerMissing ? ", but cannot start here (below)" : ""}`);
    // A step whose schema is broken is said once, in the errors.
    for (const skip of matched.skipped) if (!isSchemaError(skip)) console.log(formatSkip(skip, options.verbose));
    for (const error of errors) console.log(out().red(`error: ${error.message}`));
  }
  const code = exitCodeFor([], errors.length + discovery.errors.length);
  return turnedAway(matched) ? EXIT_USAGE : code;
}
