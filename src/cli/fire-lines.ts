// The human lines of `fire`: what an event matched (before its steps run), each start, each finished run.
import type { FlowEvent, SkippedStep, StepRun } from "../core/types.js";
import type { MatchResult, StepMatch } from "../engine/match.js";
import { out } from "./colors.js";
import { formatRun, formatSkip } from "./format.js";

/**
 * The fired event's header: how many steps run, and the steps of its type that turned it away (with
 * why: those are the ones it was likely meant for). The steps of other types are only counted, unless
 * `verbose`: in a project with many flows, listing every unrelated one on every fire buries the rest.
 */
export function matchedLines(event: FlowEvent, matched: MatchResult, verbose: boolean): string[] {
  const unrelated = matched.skipped.filter((skip) => !matched.rejected.includes(skip));
  const others =
    unrelated.length === 0 || verbose
      ? ""
      : `; ${unrelated.length} step(s) of other event types not run (--verbose lists them)`;
  const lines = [`event ${event.id} (${event.type}): ${matched.matches.length} step(s) to run${others}`];
  // A rejection because the step's schema is broken is printed once, as an error, with the others.
  for (const skip of matched.rejected) if (!isSchemaError(skip)) lines.push(formatSkip(skip, verbose));
  if (verbose) for (const skip of unrelated) lines.push(formatSkip(skip, verbose));
  return lines;
}

/** A non-match because the step's own schema could not be compiled (match.ts words it so). */
export function isSchemaError(skip: SkippedStep): boolean {
  return skip.reason.startsWith("schema error: ");
}

/** Said as a step gets its slot, so a step that prints nothing for a minute is not mistaken for a hang. */
export function startLine(match: StepMatch, event: FlowEvent, root: FlowEvent): string {
  const chained = event.id === root.id ? "" : ` (event ${event.id})`;
  return out().dim(`>> ${match.flow.name}/${match.step.name} started${chained}`);
}

const TONE: Record<StepRun["status"], (text: string) => string> = {
  completed: (text) => out().green(text),
  changed: (text) => out().green(text),
  skipped: (text) => out().dim(text),
  blocked: (text) => out().yellow(text),
  needs_intervention: (text) => out().yellow(text),
  failed: (text) => out().red(text),
};

export function runLine(run: StepRun): string {
  return TONE[run.status](formatRun(run));
}

/**
 * True when steps of the event's type exist and none accepted its payload: a malformed webhook must
 * not leave CI green (exit 2), while an event nobody listens to is still fine (exit 0).
 */
export function turnedAway(matched: Pick<MatchResult, "matches" | "rejected">): boolean {
  return matched.matches.length === 0 && matched.rejected.length > 0;
}
