// The service's in-process feed of changes (new output, runs changing status, events accepted) that live streams follow.
import { describeError } from "../core/errors.js";

/** What `GET /stream` announces as `event: event`. */
export interface EventNotice {
  id: string;
  type: string;
  source: string | null;
  receivedAt: string;
}

/** What `GET /stream` announces as `event: run`. */
export interface RunNotice {
  id: string;
  eventId: string;
  flow: string;
  step: string;
  status: string;
  attempt: number;
  workerId: string | null;
}

export type StateNotice = { kind: "event"; data: EventNotice } | { kind: "run"; data: RunNotice };

interface RunWatcher {
  /** The run has new output or a new status: read the store again. */
  change(): void;
  /** The service is stopping: end the stream. */
  close(): void;
}

interface StateWatcher {
  notice(notice: StateNotice): void;
  close(): void;
}

export interface FeedLookups {
  run(id: string): RunNotice | undefined;
  event(id: string): EventNotice | undefined;
}

/**
 * Notified from where the service changes the store, so a stream wakes the moment a chunk is stored
 * (from its own steps or a remote worker's batch) instead of polling. Every call is synchronous: the
 * store is one connection in this process, so what a watcher reads is exactly what was just written.
 * With nobody watching a notice costs a map lookup: accepting events stays as fast as before.
 */
export class LiveFeed {
  private readonly runs = new Map<string, Set<RunWatcher>>();
  private readonly state = new Set<StateWatcher>();
  private closed = false;

  constructor(
    private readonly lookups: FeedLookups,
    private readonly log: (line: string) => void,
  ) {}

  /** Watches one run; the returned function stops watching (call it when the client goes away). */
  watchRun(runId: string, watcher: RunWatcher): () => void {
    if (this.closed) {
      watcher.close();
      return () => {};
    }
    let set = this.runs.get(runId);
    if (!set) {
      set = new Set();
      this.runs.set(runId, set);
    }
    set.add(watcher);
    return () => {
      const current = this.runs.get(runId);
      if (!current?.delete(watcher)) return;
      if (current.size === 0) this.runs.delete(runId);
    };
  }

  watchState(watcher: StateWatcher): () => void {
    if (this.closed) {
      watcher.close();
      return () => {};
    }
    this.state.add(watcher);
    return () => {
      this.state.delete(watcher);
    };
  }

  /** How many streams are open: tests check that a client that left is forgotten. */
  get watchers(): number {
    let count = this.state.size;
    for (const set of this.runs.values()) count += set.size;
    return count;
  }

  /** New output of the run was stored. */
  output(runId: string): void {
    this.wakeRun(runId);
  }

  /** The run was created or changed status (or started another attempt). */
  runChanged(runId: string): void {
    this.wakeRun(runId);
    if (this.state.size === 0) return;
    const data = this.safely(() => this.lookups.run(runId));
    if (data) this.announce({ kind: "run", data });
  }

  /** An event was accepted (posted, fired by a schedule, or a step's next event). */
  eventAccepted(eventId: string): void {
    if (this.state.size === 0) return;
    const data = this.safely(() => this.lookups.event(eventId));
    if (data) this.announce({ kind: "event", data });
  }

  /**
   * The service is stopping, the store still open: every run stream looks once more (its run may
   * just have been interrupted) and then ends, and so does every state stream.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const runWatchers = [...this.runs.values()].flatMap((set) => [...set]);
    this.runs.clear();
    for (const watcher of runWatchers) {
      this.safely(() => watcher.change());
      this.safely(() => watcher.close());
    }
    const stateWatchers = [...this.state];
    this.state.clear();
    for (const watcher of stateWatchers) this.safely(() => watcher.close());
  }

  private wakeRun(runId: string): void {
    const set = this.runs.get(runId);
    if (!set) return;
    for (const watcher of [...set]) this.safely(() => watcher.change());
  }

  private announce(notice: StateNotice): void {
    for (const watcher of [...this.state]) this.safely(() => watcher.notice(notice));
  }

  /** A broken stream must not break the store write that notified it (a claim, a completion). */
  private safely<T>(call: () => T): T | undefined {
    try {
      return call();
    } catch (error) {
      this.log(`error: live stream: ${describeError(error)}`);
      return undefined;
    }
  }
}
