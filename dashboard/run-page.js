// A run: its live log (everything stored at once, then following over SSE), FLOW_RESULT, error, attempts, and Cancel.
import { useEffect, useRef, useState } from "preact/hooks";
import { getJson, postJson, segment } from "./api.js";
import { useDebounced, useStream } from "./live.js";
import { Duration, FINISHED, html, Outcome, Problem, RunStatus, Status, Time, Tree } from "./ui.js";

/** The page keeps this much of a log (the newest part); the rest stays in the store (`backend logs`). */
const KEEP_CHARS = 400_000;

function useLog(id, onStatus, onEnd) {
  const [log, setLog] = useState({ chunks: [], dropped: 0, state: "connecting" });
  const callbacks = useRef({ onStatus, onEnd });
  callbacks.current = { onStatus, onEnd };
  useEffect(() => {
    let pending = [];
    let frame = 0;
    let size = 0;
    let ended = false;
    // Chunks that arrive together (a whole stored log at first) are drawn once, on the next frame.
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setLog((current) => {
        let chunks = current.chunks.concat(batch);
        let dropped = current.dropped;
        size += batch.reduce((sum, chunk) => sum + chunk.text.length, 0);
        while (size > KEEP_CHARS && chunks.length > 1) {
          size -= chunks[0].text.length;
          chunks = chunks.slice(1);
          dropped += 1;
        }
        return { ...current, chunks, dropped };
      });
    };
    const source = new EventSource(`/runs/${segment(id)}/output`);
    source.addEventListener("open", () => setLog((current) => ({ ...current, state: ended ? "ended" : "live" })));
    source.addEventListener("error", () => {
      if (!ended) setLog((current) => ({ ...current, state: "reconnecting" }));
    });
    source.addEventListener("chunk", (message) => {
      pending.push(JSON.parse(message.data));
      frame ||= requestAnimationFrame(flush);
    });
    source.addEventListener("status", (message) => callbacks.current.onStatus(JSON.parse(message.data)));
    source.addEventListener("end", (message) => {
      ended = true;
      source.close();
      setLog((current) => ({ ...current, state: "ended" }));
      callbacks.current.onEnd(JSON.parse(message.data));
    });
    return () => {
      source.close();
      cancelAnimationFrame(frame);
    };
  }, [id]);
  return log;
}

function Log({ log }) {
  const box = useRef();
  const stick = useRef(true);
  useEffect(() => {
    if (stick.current && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [log.chunks]);
  const onScroll = () => {
    const element = box.current;
    stick.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 24;
  };
  const label = { connecting: "connecting…", live: "following", reconnecting: "reconnecting…", ended: "finished" }[
    log.state
  ];
  return html`<section class="panel">
    <h2>Log <span class="muted small" data-testid="log-state">${label}</span></h2>
    ${log.dropped > 0 ? html`<p class="muted small">${log.dropped} earlier chunk(s) not shown; <code>codex-flows backend logs</code> has them all.</p>` : null}
    <pre class="log" ref=${box} onScroll=${onScroll} data-testid="log">${
      log.chunks.length === 0
        ? html`<span class="muted">no output yet</span>`
        : log.chunks.map(
            (chunk) => html`<span class=${chunk.stream} key=${`${chunk.attempt}:${chunk.index}`}>${chunk.text}</span>`,
          )
    }</pre>
  </section>`;
}

function Result({ result }) {
  if (!result) return null;
  const artifacts = result.artifacts && Object.keys(result.artifacts).length > 0 ? result.artifacts : undefined;
  return html`<section class="panel" data-testid="result">
    <h2>FLOW_RESULT <${Status} value=${result.status} /></h2>
    ${result.message ? html`<p class="message">${result.message}</p>` : null}
    ${artifacts ? html`<h3>Artifacts</h3><${Tree} value=${artifacts} />` : null}
    ${result.next?.length ? html`<p class="muted">${result.next.length} next event(s) fired</p>` : null}
  </section>`;
}

function Attempts({ attempts }) {
  if (!attempts?.length) return null;
  return html`<section class="panel">
    <h2>Attempts</h2>
    <ol class="timeline" data-testid="attempts">
      ${attempts.map(
        (attempt) => html`<li key=${attempt.id}>
          <div class="card-head"><strong>#${attempt.number}</strong> <${Status} value=${attempt.status} /></div>
          <div class="meta">
            <span><${Time} at=${attempt.startedAt} /></span>
            <span>took <${Duration} from=${attempt.startedAt} to=${attempt.finishedAt} /></span>
            <span>worker <span class="mono">${attempt.workerId}</span></span>
          </div>
          ${attempt.error ? html`<p class="problem small">${attempt.error}</p>` : null}
        </li>`,
      )}
    </ol>
  </section>`;
}

export function RunPage({ id }) {
  const [run, setRun] = useState();
  const [error, setError] = useState();
  const [outcome, setOutcome] = useState();
  const [busy, setBusy] = useState(false);
  const load = async () => {
    try {
      setRun((await getJson(`/runs/${segment(id)}`)).run);
      setError(undefined);
    } catch (problem) {
      setError(problem);
    }
  };
  const reload = useDebounced(load);
  useEffect(() => {
    setRun(undefined);
    setOutcome(undefined);
    load();
  }, [id]);
  const log = useLog(
    id,
    (status) => {
      setRun((current) => current && { ...current, status: status.status });
      reload();
    },
    () => load(),
  );
  useStream((kind, data) => {
    if (kind === "run" && data.id === id) {
      setRun((current) => current && { ...current, status: data.status });
      reload();
    }
  });

  const cancel = async () => {
    setBusy(true);
    try {
      const answer = await postJson(`/runs/${segment(id)}/cancel`);
      setRun((current) => ({ ...current, ...answer.run }));
      setOutcome({ ok: true, text: `Run ${answer.run.status}.` });
      load();
    } catch (problem) {
      setOutcome({ ok: false, text: `Cancel refused: ${problem.message}` });
    } finally {
      setBusy(false);
    }
  };

  if (!run) return html`<section class="page"><h1>Run ${id}</h1><${Problem} error=${error} /></section>`;
  const open = !FINISHED.includes(run.status);
  return html`<section class="page">
    <h1>${run.flow}/${run.step} <span data-testid="run-status"><${RunStatus} run=${run} /></span></h1>
    <div class="meta">
      <span class="mono">${run.id}</span>
      <span>event <a href=${`#/events/${encodeURIComponent(run.eventId)}`}>${run.eventId}</a>${run.replay ? ` (replay ${run.replay})` : ""}</span>
      <span>runner ${run.runner ?? "?"}</span>
    </div>
    <div class="meta">
      <span>queued <${Time} at=${run.createdAt} /></span>
      <span>started <${Time} at=${run.startedAt} /></span>
      <span>took <${Duration} from=${run.startedAt} to=${run.finishedAt} /></span>
      <span>attempts ${run.attemptCount}/${run.maxAttempts}</span>
    </div>
    <div class="actions">
      ${open ? html`<button type="button" class="danger" onClick=${cancel} disabled=${busy || run.cancelRequested}>Cancel run</button>` : null}
      <${Outcome} outcome=${outcome} />
    </div>
    <${Problem} error=${error} />
    ${run.error ? html`<section class="panel"><h2>Error</h2><pre class="problem log-error" data-testid="run-error">${run.error}</pre></section>` : null}
    <${Result} result=${run.result} />
    <${Log} log=${log} />
    <${Attempts} attempts=${run.attempts} />
  </section>`;
}
