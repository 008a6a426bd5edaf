// One event: its payload, its runs (dispatch first, then each replay), why other steps did not run, and Replay.
import { useEffect, useState } from "preact/hooks";
import { getJson, postJson, segment } from "./api.js";
import { useDebounced, useStream } from "./live.js";
import { Duration, html, Json, Outcome, Problem, RunStatus, Time } from "./ui.js";

export function EventPage({ id }) {
  const [detail, setDetail] = useState();
  const [error, setError] = useState();
  const [outcome, setOutcome] = useState();
  const [busy, setBusy] = useState(false);
  const load = async () => {
    try {
      setDetail(await getJson(`/events/${segment(id)}`));
      setError(undefined);
    } catch (problem) {
      setError(problem);
    }
  };
  const reload = useDebounced(load);
  useEffect(() => {
    setDetail(undefined);
    setOutcome(undefined);
    load();
  }, [id]);
  useStream((kind, data) => {
    if (kind === "run" && data.eventId === id) reload();
  });

  const replay = async () => {
    setBusy(true);
    try {
      const answer = await postJson(`/events/${segment(id)}/replay`, {});
      setOutcome({
        ok: true,
        text: `Replay ${answer.replay}: ${answer.runIds.length} run(s) queued.`,
        runIds: answer.runIds,
      });
      load();
    } catch (problem) {
      setOutcome({ ok: false, text: `Replay refused: ${problem.message}` });
    } finally {
      setBusy(false);
    }
  };

  if (!detail) return html`<section class="page"><h1>Event ${id}</h1><${Problem} error=${error} /></section>`;
  const { event, runs } = detail;
  return html`<section class="page">
    <h1 class="break">${event.id}</h1>
    <div class="meta">
      <span class="type">${event.type}</span>
      <span>received <${Time} at=${event.receivedAt} /></span>
      ${event.source ? html`<span>from ${event.source}</span>` : null}
      ${event.parentEventId ? html`<span>chained from <a href=${`#/events/${encodeURIComponent(event.parentEventId)}`}>${event.parentEventId}</a></span>` : null}
    </div>
    <div class="actions">
      <button type="button" onClick=${replay} disabled=${busy}>Replay event</button>
      <${Outcome} outcome=${outcome} />
    </div>
    <${Problem} error=${error} />
    <section class="panel">
      <h2>Runs</h2>
      ${runs.length === 0 ? html`<p class="muted">No step matched this event.</p>` : null}
      <ul class="cards" data-testid="event-runs">
        ${runs.map(
          (run) => html`<li class="card" key=${run.id} data-run-id=${run.id}>
            <div class="card-head">
              <a class="title" href=${`#/runs/${encodeURIComponent(run.id)}`}>${run.flow}/${run.step}${run.replay ? ` (replay ${run.replay})` : ""}</a>
              <${RunStatus} run=${run} />
            </div>
            <div class="meta">
              <span>took <${Duration} from=${run.startedAt} to=${run.finishedAt} /></span>
              <span>attempts ${run.attemptCount}/${run.maxAttempts}</span>
              ${run.result?.message ? html`<span>${run.result.message}</span>` : null}
            </div>
          </li>`,
        )}
      </ul>
      ${
        event.skipped?.length
          ? html`<details><summary>${event.skipped.length} step(s) did not run</summary>
        <ul class="plain">${event.skipped.map((skip) => html`<li><strong>${skip.flow}/${skip.step}</strong>: ${skip.reason}</li>`)}</ul>
      </details>`
          : null
      }
    </section>
    <section class="panel"><h2>Payload</h2><${Json} value=${event.event?.payload ?? null} /></section>
    <details class="panel"><summary>The whole stored event</summary><${Json} value=${event.event} /></details>
  </section>`;
}
