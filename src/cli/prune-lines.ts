// What `backend prune` prints: what it removed, and what it kept on purpose.
import type { PruneReport } from "../backend/prune-data-dir.js";

export function pruneLines(report: PruneReport, olderThan: string): string[] {
  const lines = [
    `removed ${report.events} event(s) accepted before ${report.acceptedBefore} (older than ${olderThan}), with ${report.runs} run(s), ${report.attempts} attempt(s), ${report.outputChunks} output chunk(s), ${report.results} result(s) and ${report.eventFiles} event file(s)`,
  ];
  if (report.keptActive > 0) {
    lines.push(`kept ${report.keptActive} older event(s) whose runs are still queued or running`);
  }
  return lines;
}
