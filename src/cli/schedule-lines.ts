// How `list` and `check` show a flow's schedules: cron, timezone, the event it fires and its next three fire times.
import type { FlowDefinition } from "../core/types.js";
import { matchEvent } from "../engine/match.js";
import { scheduleFacts, tickEvent } from "../engine/schedules.js";

/** One line per schedule, indented like a flow's steps; `prefix` names the flow where the flow is not the heading. */
export function scheduleLines(flow: FlowDefinition, prefix = "  ", now = new Date()): string[] {
  return scheduleFacts(flow, now).map(
    (facts) =>
      `${prefix}schedule ${facts.name}  cron="${facts.cron}" ${facts.timezone}  fires ${facts.eventType}  next: ${facts.next.join(", ")}`,
  );
}

/** A note for each schedule whose event no step runs on (no trigger of its type, or a payload the schema refuses). */
export function scheduleNotes(flows: FlowDefinition[], now = new Date()): string[] {
  const notes: string[] = [];
  for (const flow of flows) {
    for (const schedule of flow.schedules) {
      const matched = matchEvent(tickEvent(flow.name, schedule, now, now), flows);
      if (matched.matches.length > 0) continue;
      const sameType = matched.skipped.filter((skip) => !skip.reason.startsWith("type differs"));
      const why =
        sameType.length === 0
          ? `no step triggers on "${schedule.event.type}"`
          : sameType.map((skip) => `${skip.flow}/${skip.step}: ${skip.reason}`).join("; ");
      notes.push(`schedule ${flow.name}/${schedule.name}: its event runs no step (${why})`);
    }
  }
  return notes;
}
