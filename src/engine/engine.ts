// The engine: fire an event at every matching step, run them concurrently, then fire their `next` events.
import pLimit from "p-limit";
import type { FlowDefinition, FlowEvent, SkippedStep, StepRun } from "../core/types.js";
import type { Environment, OutputSink } from "../runner/runner.js";
import { nextEvents } from "./chain.js";
import { type MatchResult, matchEvent, type StepMatch } from "./match.js";
import { runStep } from "./run-step.js";

export const DEFAULT_CONCURRENCY = 4;
export const DEFAULT_MAX_DEPTH = 8;

export interface FireOptions {
  /** Steps running at once, across the event and its chained events (default 4). */
  concurrency?: number;
  /** How many `next` hops an event chain may take (default 8). */
  maxDepth?: number;
  signal?: AbortSignal;
  env?: Environment;
  /** Gives each step run its output sink (e.g. a terminal writer that prefixes lines with flow/step). */
  outputFor?: (match: StepMatch, event: FlowEvent) => OutputSink;
  /** Observes what each event (the fired one at depth 0, chained ones deeper) matched, before its steps run. */
  onMatched?: (event: FlowEvent, matched: MatchResult, depth: number) => void;
  /** Observes each step as it starts (once it has a concurrency slot). */
  onStart?: (match: StepMatch, event: FlowEvent) => void;
  /** Observes each run as it finishes. */
  onRun?: (run: StepRun) => void;
}

export interface FireError {
  eventId?: string;
  /** flow/step, when the error concerns one step. */
  where?: string;
  message: string;
}

export interface FireReport {
  event: FlowEvent;
  runs: StepRun[];
  skipped: (SkippedStep & { eventId: string })[];
  /** Broken schemas, bad `next` events, chains past the depth limit. */
  errors: FireError[];
}

/**
 * Runs every step that matches `event`, then every step matching the events those steps return in
 * `next`, and so on up to `maxDepth` hops. Never throws for a step failure; see the report.
 */
export async function fire(event: FlowEvent, flows: FlowDefinition[], options: FireOptions = {}): Promise<FireReport> {
  const limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  const report: FireReport = { event, runs: [], skipped: [], errors: [] };

  const fireOne = async (current: FlowEvent, depth: number): Promise<void> => {
    const matched = matchEvent(current, flows);
    report.skipped.push(...matched.skipped.map((skip) => ({ ...skip, eventId: current.id })));
    report.errors.push(...matched.errors.map((error) => ({ eventId: current.id, message: error.describe() })));
    options.onMatched?.(current, matched, depth);

    await Promise.all(
      matched.matches.map(async (match) => {
        // The slot is released before chained events fire, so a chain can never wait on its own slot.
        const run = await limit(() => {
          options.onStart?.(match, current);
          return runStep(match.flow, match.step, current, {
            signal: options.signal,
            env: options.env,
            output: options.outputFor?.(match, current),
          });
        });
        report.runs.push(run);
        options.onRun?.(run);
        if (run.status === "failed") return;
        const chained = nextEvents({ event: current, flow: run.flow, step: run.step }, run.result);
        const where = `${run.flow}/${run.step}`;
        for (const message of chained.problems) report.errors.push({ eventId: current.id, where, message });
        const children = chained.events;
        if (children.length > 0 && depth >= maxDepth) {
          report.errors.push({
            eventId: current.id,
            where,
            message: `chain depth limit of ${maxDepth} reached; ${children.length} next event(s) not fired (do steps trigger each other in a loop?)`,
          });
          return;
        }
        await Promise.all(children.map((child) => fireOne(child, depth + 1)));
      }),
    );
  };

  await fireOne(event, 0);
  return report;
}
