// The service's view of the project's flows: discovery re-run only when a flow folder or flow.toml changed.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { FlowDefinition, FlowEvent, SkippedStep, StepDefinition } from "../core/types.js";
import type { PlannedRun } from "../store/insert-event.js";
import { type Discovery, discoverFlows, FLOW_SOURCES } from "./discover.js";
import { matchEvent } from "./match.js";

function mtime(path: string): string {
  try {
    return String(statSync(path).mtimeMs);
  } catch {
    return "-";
  }
}

/**
 * Discovery costs a TOML parse and schema checks per flow; a stamp of the folders' and manifests'
 * mtimes costs a few stat calls, so the flows are re-read exactly when one of them was edited.
 */
export class FlowCatalog {
  private stamp = "";
  private checkedAt = Number.NEGATIVE_INFINITY;
  private discovery: Discovery = { flows: [], errors: [], shadowed: [] };

  constructor(readonly cwd: string) {}

  private currentStamp(): string {
    const parts: string[] = [];
    for (const source of FLOW_SOURCES) {
      const dir = join(this.cwd, source);
      parts.push(mtime(dir));
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {}
      for (const name of names) parts.push(name, mtime(join(dir, name)), mtime(join(dir, name, "flow.toml")));
    }
    return parts.join("|");
  }

  /**
   * The flows as they are on disk, checked at most `maxAgeMs` ago. Accepting events uses a short
   * age: the stamp's stat calls cost ~15% of a POST /events at 4,000 events/s, and a flow edited
   * 200 ms ago is as good as now for an event that arrives while it is being edited.
   */
  current(maxAgeMs = 0): Discovery {
    const now = performance.now();
    if (now - this.checkedAt <= maxAgeMs) return this.discovery;
    const stamp = this.currentStamp();
    this.checkedAt = now;
    if (stamp !== this.stamp) {
      this.discovery = discoverFlows(this.cwd);
      this.stamp = stamp;
    }
    return this.discovery;
  }

  find(flowName: string, stepName: string, maxAgeMs = 0): { flow: FlowDefinition; step: StepDefinition } | undefined {
    const flow = this.current(maxAgeMs).flows.find((candidate) => candidate.name === flowName);
    const step = flow?.steps.find((candidate) => candidate.name === stepName);
    return flow && step ? { flow, step } : undefined;
  }

  /** The runs an event gets (one per matching step) and why every other step does not run. */
  plan(event: FlowEvent, maxAgeMs = 0): { runs: PlannedRun[]; skipped: SkippedStep[] } {
    const matched = matchEvent(event, this.current(maxAgeMs).flows);
    return {
      runs: matched.matches.map(({ flow, step }) => ({
        flow: flow.name,
        step: step.name,
        maxAttempts: step.retries + 1,
        runner: step.runner,
      })),
      // The one-line reasons only: they are stored with the event and answered over HTTP, and every
      // branch's errors of a large oneOf schema run to tens of kilobytes per event.
      skipped: matched.skipped.map(({ flow, step, reason }) => ({ flow, step, reason })),
    };
  }
}
