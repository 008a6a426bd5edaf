// Polling a running backend until a set of runs has finished, for `dispatch --wait` and `replay-event --wait`.
import { setTimeout as sleep } from "node:timers/promises";
import type { RunRecord } from "../wire/records.js";
import type { BackendClient } from "./backend-client.js";

const FINISHED = new Set(["completed", "failed", "canceled"]);

/** Polls `GET /runs?eventId=` (one request per round, 100 ms growing to 1 s apart) until every run is finished. */
export async function waitForRuns(client: BackendClient, eventId: string, runIds: string[]): Promise<RunRecord[]> {
  let delay = 100;
  const wanted = new Set(runIds);
  while (true) {
    const query = new URLSearchParams({ eventId, limit: "1000" });
    const { body } = await client.send<{ runs: RunRecord[] }>("GET", `/runs?${query}`);
    const runs = body.runs.filter((run) => wanted.has(run.id));
    if (runs.length === wanted.size && runs.every((run) => FINISHED.has(run.status))) {
      return runIds.map((id) => runs.find((run) => run.id === id) as RunRecord);
    }
    await sleep(delay);
    delay = Math.min(1_000, Math.round(delay * 1.5));
  }
}
