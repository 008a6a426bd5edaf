// Human-readable output for the `codex-flows backend` commands.

import type { SkippedStep } from "../core/types.js";
import type { EventRecord, RunDetail, RunRecord } from "../wire/records.js";

export function formatEventLine(event: EventRecord): string {
  const replays = event.replays > 0 ? `, ${event.replays} replay(s)` : "";
  return `${event.acceptedAt}  ${event.id}  ${event.type}  ${event.matched} run(s)${replays}`;
}

export function formatRunLine(run: RunRecord): string {
  const result = run.resultStatus ? ` [${run.resultStatus}]` : "";
  const replay = run.replay > 0 ? ` replay ${run.replay}` : "";
  const error = run.error && run.status !== "completed" ? `: ${run.error.split("\n")[0]}` : "";
  return `${run.id}  ${run.flow}/${run.step}  ${run.status}${result}  event ${run.eventId}${replay}${error}`;
}

export function formatSkipped(skipped: SkippedStep[]): string[] {
  return skipped.map((skip) => `   ${skip.flow}/${skip.step} not run: ${skip.reason}`);
}

export function formatEventDetail(event: EventRecord, runs: RunRecord[]): string[] {
  return [
    `event ${event.id} (${event.type})`,
    `  source: ${event.source ?? "-"}`,
    `  received: ${event.receivedAt}; accepted: ${event.acceptedAt}`,
    ...(event.parentEventId ? [`  fired by: ${event.parentEventId}`] : []),
    `  payload: ${JSON.stringify(event.event.payload)}`,
    `runs (${runs.length}):`,
    ...runs.map((run) => `  ${formatRunLine(run)}`),
    ...(event.skipped.length > 0 ? ["not run when accepted:", ...formatSkipped(event.skipped)] : []),
  ];
}

export function formatRunDetail(run: RunDetail): string[] {
  const lines = [
    `run ${run.id}: ${run.flow}/${run.step} ${run.status}${run.resultStatus ? ` [${run.resultStatus}]` : ""}`,
    `  event: ${run.eventId}${run.replay > 0 ? ` (replay ${run.replay})` : ""}`,
    `  created: ${run.createdAt}; started: ${run.startedAt ?? "-"}; finished: ${run.finishedAt ?? "-"}`,
    `  attempts: ${run.attemptCount} of ${run.maxAttempts}`,
    ...run.attempts.map(
      (attempt) =>
        `    #${attempt.number} ${attempt.status} on ${attempt.workerId} from ${attempt.startedAt}${attempt.error ? `: ${attempt.error.split("\n")[0]}` : ""}`,
    ),
  ];
  if (run.result) lines.push(`  result: ${JSON.stringify(run.result)}`);
  if (run.error) lines.push(`  error: ${run.error}`);
  if (run.output.length > 0) {
    lines.push("output:");
    const text = run.output.map((chunk) => chunk.text).join("");
    lines.push(
      ...text
        .replace(/\n$/, "")
        .split("\n")
        .map((line) => `  | ${line}`),
    );
  }
  return lines;
}
