// The runs page: newest first, filtered by status and flow, with duration, attempts and worker; kept live by /stream.
import { useEffect, useState } from "preact/hooks";
import { getJson } from "./api.js";
import { useDebounced, useStream } from "./live.js";
import { Duration, html, Problem, RUN_STATUSES, RunStatus, Time } from "./ui.js";

export function RunsPage() {
  const [status, setStatus] = useState("");
  const [flow, setFlow] = useState("");
  const [runs, setRuns] = useState();
  const [flows, setFlows] = useState([]);
  const [error, setError] = useState();

  const load = async () => {
    try {
      const query = new URLSearchParams({ limit: "200" });
      if (status) query.set("status", status);
      if (flow) query.set("flow", flow);
      const answer = await getJson(`/runs?${query}`);
      setRuns(answer.runs);
      setFlows((known) => [...new Set([...known, ...answer.runs.map((run) => run.flow)])].sort());
      setError(undefined);
    } catch (problem) {
      setError(problem);
    }
  };
  const reload = useDebounced(load);
  useEffect(() => {
    load();
  }, [status, flow]);
  useStream((kind, data) => {
    if (kind !== "run") return;
    setRuns((current) =>
      current?.map((run) =>
        run.id === data.id
          ? {
              ...run,
              status: data.status,
              attemptCount: data.attempt ?? run.attemptCount,
              workerId: data.workerId ?? run.workerId,
            }
          : run,
      ),
    );
    // New runs, a status leaving the filter, and finished runs' results and times come from the list itself.
    reload();
  });

  return html`<section class="page">
    <h1>Runs</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Status
        <select name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
          <option value="">any</option>
          ${RUN_STATUSES.map((value) => html`<option value=${value}>${value}</option>`)}
        </select>
      </label>
      <label>Flow <input name="flow" list="flows" value=${flow} placeholder="any" onChange=${(e) => setFlow(e.currentTarget.value.trim())} /></label>
      <datalist id="flows">${flows.map((name) => html`<option value=${name} />`)}</datalist>
    </form>
    <${Problem} error=${error} />
    ${runs && runs.length === 0 ? html`<p class="muted">No runs${status || flow ? " match" : " yet"}.</p>` : null}
    <ul class="cards" data-testid="runs">
      ${(runs ?? []).map(
        (run) => html`<li class="card" key=${run.id} data-run-id=${run.id}>
          <div class="card-head">
            <a class="title" href=${`#/runs/${encodeURIComponent(run.id)}`}>${run.flow}/${run.step}</a>
            <${RunStatus} run=${run} />
          </div>
          <div class="meta">
            <span class="mono">${run.id}</span>
            <span>event <a href=${`#/events/${encodeURIComponent(run.eventId)}`}>${run.eventId}</a>${run.replay ? ` (replay ${run.replay})` : ""}</span>
          </div>
          <div class="meta">
            <span>queued <${Time} at=${run.createdAt} /></span>
            <span>took <${Duration} from=${run.startedAt} to=${run.finishedAt} /></span>
            <span>attempts ${run.attemptCount}/${run.maxAttempts}</span>
            ${run.workerId ? html`<span>worker <span class="mono">${run.workerId}</span></span>` : null}
          </div>
        </li>`,
      )}
    </ul>
  </section>`;
}
