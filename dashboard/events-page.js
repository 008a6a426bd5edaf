// The events page: newest first, filtered by type and text, each with its runs' statuses and its payload.
import { useEffect, useMemo, useState } from "preact/hooks";
import { getJson } from "./api.js";
import { useDebounced, useStream } from "./live.js";
import { html, Json, Problem, Status, Time } from "./ui.js";

const LIMIT = 200;

function matches(event, text) {
  if (!text) return true;
  const needle = text.toLowerCase();
  return [event.id, event.type, event.source ?? "", JSON.stringify(event.event?.payload ?? null)].some((part) =>
    part.toLowerCase().includes(needle),
  );
}

/** The runs of every event shown, by event id, patched by /stream's run messages. */
function groupRuns(runs) {
  const byEvent = new Map();
  for (const run of runs) {
    const list = byEvent.get(run.eventId) ?? [];
    list.push(run);
    byEvent.set(run.eventId, list);
  }
  return byEvent;
}

export function EventsPage() {
  const [type, setType] = useState("");
  const [text, setText] = useState("");
  const [events, setEvents] = useState();
  const [runs, setRuns] = useState([]);
  const [error, setError] = useState();

  const load = async () => {
    try {
      const query = new URLSearchParams({ limit: String(LIMIT) });
      if (type) query.set("type", type);
      const [eventAnswer, runAnswer] = await Promise.all([getJson(`/events?${query}`), getJson("/runs?limit=1000")]);
      setEvents(eventAnswer.events);
      setRuns(runAnswer.runs);
      setError(undefined);
    } catch (problem) {
      setError(problem);
    }
  };
  const reload = useDebounced(load);
  useEffect(() => {
    load();
  }, [type]);
  useStream((kind, data) => {
    if (kind === "event") reload();
    if (kind === "run") {
      setRuns((current) => {
        const index = current.findIndex((run) => run.id === data.id);
        if (index === -1) return [{ ...data, resultStatus: null }, ...current];
        const next = current.slice();
        next[index] = {
          ...current[index],
          status: data.status,
          attemptCount: data.attempt ?? current[index].attemptCount,
        };
        return next;
      });
      if (data.status !== "running" && data.status !== "queued") reload();
    }
  });

  const runsByEvent = useMemo(() => groupRuns(runs), [runs]);
  const shown = (events ?? []).filter((event) => matches(event, text));
  const types = [...new Set((events ?? []).map((event) => event.type))].sort();

  return html`<section class="page">
    <h1>Events</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Type <input name="type" list="event-types" value=${type} placeholder="any" onChange=${(e) => setType(e.currentTarget.value.trim())} /></label>
      <datalist id="event-types">${types.map((name) => html`<option value=${name} />`)}</datalist>
      <label>Text <input name="text" type="search" value=${text} placeholder="id, source, payload" onInput=${(e) => setText(e.currentTarget.value)} /></label>
    </form>
    <${Problem} error=${error} />
    ${events === undefined && !error ? html`<p class="muted">Loading…</p>` : null}
    ${events && shown.length === 0 ? html`<p class="muted">No events${type || text ? " match" : " stored yet"}.</p>` : null}
    <ul class="cards" data-testid="events">
      ${shown.map(
        (event) => html`<li class="card" key=${event.id} data-event-id=${event.id}>
          <div class="card-head">
            <a class="title" href=${`#/events/${encodeURIComponent(event.id)}`}>${event.id}</a>
            <span class="type">${event.type}</span>
          </div>
          <div class="meta">
            <${Time} at=${event.receivedAt} />
            ${event.source ? html`<span>from ${event.source}</span>` : null}
            ${event.replays > 0 ? html`<span>${event.replays} replay(s)</span>` : null}
            ${event.parentEventId ? html`<span>chained from <a href=${`#/events/${encodeURIComponent(event.parentEventId)}`}>${event.parentEventId}</a></span>` : null}
          </div>
          <div class="runs-line">
            ${(runsByEvent.get(event.id) ?? []).map(
              (run) =>
                html`<a class="run-chip" href=${`#/runs/${encodeURIComponent(run.id)}`} key=${run.id}>${run.flow}/${run.step}${run.replay ? ` (replay ${run.replay})` : ""} <${Status} value=${run.status} /></a>`,
            )}
            ${event.matched === 0 ? html`<span class="muted">no step matched</span>` : null}
          </div>
          <details><summary>Payload</summary><${Json} value=${event.event?.payload ?? null} /></details>
        </li>`,
      )}
    </ul>
  </section>`;
}
