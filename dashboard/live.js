// One connection to GET /stream for the whole page: events accepted and runs changing status, handed to whoever listens.
import { useEffect, useRef, useState } from "preact/hooks";

const listeners = new Set();
const states = new Set();
let source;
let connected = false;

function announce(value) {
  connected = value;
  for (const listener of states) listener(value);
}

function connect() {
  if (source) return;
  // EventSource reconnects by itself; the indicator says when it is down.
  source = new EventSource("/stream");
  source.addEventListener("open", () => announce(true));
  source.addEventListener("error", () => announce(false));
  for (const kind of ["event", "run"]) {
    source.addEventListener(kind, (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      for (const listener of listeners) listener(kind, data);
    });
  }
}

/** Calls `onMessage(kind, data)` for every /stream message while the component is mounted. */
export function useStream(onMessage) {
  const latest = useRef(onMessage);
  latest.current = onMessage;
  useEffect(() => {
    connect();
    const listener = (kind, data) => latest.current(kind, data);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }, []);
}

/** Whether /stream is connected, for the header's indicator. */
export function useStreamState() {
  const [state, setState] = useState(connected);
  useEffect(() => {
    connect();
    states.add(setState);
    return () => states.delete(setState);
  }, []);
  return state;
}

/** A function that runs `action` once, `ms` after the last call: a burst of stream messages costs one reload. */
export function useDebounced(action, ms = 150) {
  const timer = useRef();
  const latest = useRef(action);
  latest.current = action;
  useEffect(() => () => clearTimeout(timer.current), []);
  return () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(() => latest.current(), ms);
  };
}
