// Human-readable lines for CLI reports: runs, skips, discovery problems.
import { relative } from "node:path";
import type { DiscoveryProblem, SkippedStep, StepRun } from "../core/types.js";
import type { Discovery } from "../engine/discover.js";

const MARKS: Record<StepRun["status"], string> = {
  completed: "ok",
  changed: "ok",
  skipped: "--",
  blocked: "!!",
  needs_intervention: "!!",
  failed: "xx",
};

/** `path` relative to the project folder when it is inside it. */
export function shortPath(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}

export function formatProblem(cwd: string, problem: DiscoveryProblem): string {
  const at = problem.line === undefined ? "" : `:${problem.line}:${problem.column ?? 1}`;
  const field = problem.field ? `${problem.field}: ` : "";
  return `${shortPath(cwd, problem.path)}${at}: ${field}${problem.message}`;
}

export function formatRun(run: StepRun): string {
  const chained = run.parentEventId ? ` (event ${run.eventId})` : "";
  const message = run.result.message ? `: ${run.result.message}` : "";
  return `${MARKS[run.status]} ${run.flow}/${run.step} ${run.status} in ${run.durationMs} ms${chained}${message}`;
}

/** One line per skipped step; with `verbose`, every schema error of an invalid payload under it. */
export function formatSkip(skip: SkippedStep, verbose = false): string {
  const line = `   ${skip.flow}/${skip.step} not run: ${skip.reason}`;
  if (!verbose || !skip.errors || skip.errors.length === 0) return line;
  return [
    line,
    `      all ${skip.errors.length} schema error(s):`,
    ...skip.errors.map((error) => `        ${error}`),
  ].join("\n");
}

/** Discovery errors as warning lines for commands that go on with the healthy flows. */
export function discoveryWarnings(cwd: string, discovery: Discovery): string[] {
  return discovery.errors.map((problem) => `warning: ${formatProblem(cwd, problem)} (flow skipped)`);
}
