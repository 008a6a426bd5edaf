// The fork-only `thread/codeMode/execute` method, written by hand: stock Codex has no such method, so its generator has no types for it.

/** Runs Code Mode `source` in the thread; the turn it starts reports through the usual turn notifications. */
export interface CodeModeExecuteParams {
  threadId: string;
  source: string;
}

/** Some builds answer at once with the turn they started, others only when that turn has ended. */
export interface CodeModeExecuteResponse {
  turnId?: string;
}
