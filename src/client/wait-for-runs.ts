// Waiting for runs on a running backend, for `dispatch --wait` and `replay-event --wait`: each run's output followed live, and the runs its next events start too.
import type { RunRecord } from "../wire/records.js";
import { type BackendClient, pathSegment } from "./backend-client.js";
import { followRunOutput, type RunOutputChunk } from "./run-output.js";

export interface WaitHandlers {
  chunk?(run: RunRecord, chunk: RunOutputChunk): void;
  status?(run: RunRecord, status: { status: string; attempt: number }): void;
}

export interface WaitedRuns {
  /** The runs asked for, final, in the order given. */
  runs: RunRecord[];
  /** The runs their steps' next events started (and theirs, down the chain), final, in the order found. */
  chained: RunRecord[];
}

async function runRecord(client: BackendClient, run: { id: string; eventId: string }): Promise<RunRecord> {
  // GET /runs/<id> carries the whole output; the list has the record alone.
  const query = new URLSearchParams({ eventId: run.eventId, limit: "1000" });
  const { body } = await client.send<{ runs: RunRecord[] }>("GET", `/runs?${query}`);
  const found = body.runs.find((candidate) => candidate.id === run.id);
  if (!found) throw new Error(`run ${run.id} is missing from GET /runs?eventId=${run.eventId}`);
  return found;
}

/**
 * Follows every run to its end over `GET /runs/<id>/output` (streamed, so nothing polls). When one
 * completes, the events its step fired (`GET /events?parent=`, accepted since the run was created,
 * so a replay does not pick up an earlier run's chain) have their runs followed too. Rejects when
 * `signal` aborts; the runs carry on.
 */
export async function waitForRuns(
  client: BackendClient,
  runIds: string[],
  options: { eventId: string; handlers?: WaitHandlers; signal?: AbortSignal },
): Promise<WaitedRuns> {
  const handlers = options.handlers ?? {};
  const finished = new Map<string, RunRecord>();
  const chainedIds: string[] = [];
  const seenEvents = new Set<string>();
  const tasks: Promise<void>[] = [];
  let failure: unknown;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;

  const follow = async (runId: string, eventId: string) => {
    const run = await runRecord(client, { id: runId, eventId });
    await followRunOutput(
      client,
      runId,
      { chunk: (chunk) => handlers.chunk?.(run, chunk), status: (status) => handlers.status?.(run, status) },
      { signal },
    );
    const final = await runRecord(client, run);
    finished.set(runId, final);
    if (final.status !== "completed") return;
    const query = new URLSearchParams({ parent: final.eventId, limit: "1000" });
    const { body } = await client.send<{ events: { id: string; acceptedAt: string }[] }>("GET", `/events?${query}`);
    for (const event of body.events.reverse()) {
      if (seenEvents.has(event.id) || event.acceptedAt < final.createdAt) continue;
      seenEvents.add(event.id);
      const detail = await client.send<{ runs: RunRecord[] }>("GET", `/events/${pathSegment(event.id)}`);
      for (const next of detail.body.runs) {
        if (finished.has(next.id) || chainedIds.includes(next.id) || runIds.includes(next.id)) continue;
        chainedIds.push(next.id);
        start(next.id, event.id);
      }
    }
  };
  const start = (runId: string, eventId: string) => {
    tasks.push(
      follow(runId, eventId).catch((error) => {
        failure ??= error;
        stop.abort();
      }),
    );
  };
  for (const runId of runIds) start(runId, options.eventId);
  // Chained runs are added while earlier ones finish, so the list grows as it is walked.
  for (let index = 0; index < tasks.length; index++) await tasks[index];
  if (options.signal?.aborted) throw options.signal.reason;
  if (failure !== undefined) throw failure;
  return {
    runs: runIds.map((id) => finished.get(id) as RunRecord),
    chained: chainedIds.map((id) => finished.get(id) as RunRecord),
  };
}
