// Small pieces every page uses: the html tag, status badges, times and durations, JSON and artifact trees.
import htm from "htm";
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";

export const html = htm.bind(h);

export const RUN_STATUSES = ["queued", "running", "completed", "failed", "canceled"];
export const FINISHED = ["completed", "failed", "canceled"];

export function Status({ value, label }) {
  if (!value) return null;
  return html`<span class=${`status status-${value}`} data-status=${value} title=${label ?? value}>${value}</span>`;
}

/** The run's process status, and its FLOW_RESULT status beside it when that says more (blocked, changed, ...). */
export function RunStatus({ run }) {
  return html`<span class="statuses">
    <${Status} value=${run.status} />
    ${run.resultStatus && run.resultStatus !== run.status ? html`<${Status} value=${run.resultStatus} label="FLOW_RESULT status" />` : null}
  </span>`;
}

export function Time({ at }) {
  if (!at) return html`<span class="muted">–</span>`;
  const date = new Date(at);
  return html`<time datetime=${at} title=${at}>${date.toLocaleString()}</time>`;
}

export function formatDuration(ms) {
  if (!(ms >= 0)) return "–";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** Start to finish, or to now while it runs (ticking once a second). */
export function Duration({ from, to }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!from || to) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [from, to]);
  if (!from) return html`<span class="muted">–</span>`;
  return html`<span class="duration">${formatDuration((to ? Date.parse(to) : now) - Date.parse(from))}</span>`;
}

export function Json({ value }) {
  return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
}

/** Artifacts as a tree: objects and arrays fold open, leaves show their value. */
export function Tree({ value, name }) {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
    const label = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    const children = html`<ul class="tree">
      ${entries.map(([key, item]) => html`<li key=${key}><${Tree} name=${key} value=${item} /></li>`)}
    </ul>`;
    if (name === undefined) return children;
    return html`<details open class="tree-node"><summary><span class="key">${name}</span> <span class="muted">${label}</span></summary>${children}</details>`;
  }
  return html`<span class="leaf">${name !== undefined ? html`<span class="key">${name}</span>: ` : null}<span class=${`value value-${typeof value}`}>${JSON.stringify(value)}</span></span>`;
}

export function Problem({ error }) {
  if (!error) return null;
  return html`<p class="problem" role="alert">${String(error.message ?? error)}</p>`;
}

/** What a button's request gave: a line that stays until the next press. */
export function Outcome({ outcome }) {
  if (!outcome) return null;
  return html`<p class=${outcome.ok ? "outcome ok" : "outcome problem"} role="status" data-testid="outcome">${outcome.text}</p>`;
}
