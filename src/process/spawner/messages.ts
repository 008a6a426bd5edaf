// The spawn helper's wire format: one JSON object per line, each way, over the helper's stdin and stdout.

/** From the service (or worker) to the helper. `id` numbers one child for the helper's lifetime. */
export type ToSpawner =
  | { op: "spawn"; id: number; command: string; args: string[]; cwd?: string; env: Record<string, string> }
  | { op: "stdin"; id: number; text: string }
  | { op: "end"; id: number }
  /** The service knows the child's pid now: if the service dies, the child is its reaper's to find. */
  | { op: "adopted"; id: number }
  /** The service stopped reading the child's output (its pipes were given up on): stop forwarding it. */
  | { op: "drop"; id: number };

/** From the helper to the service. */
export type FromSpawner =
  | { op: "spawned"; id: number; pid: number }
  | { op: "failed"; id: number; code?: string; message: string }
  | { op: "out"; id: number; stream: "stdout" | "stderr"; text: string }
  | { op: "eof"; id: number; stream: "stdout" | "stderr" }
  | { op: "exit"; id: number; code: number | null; signal: NodeJS.Signals | null };

/** Splits a stream of text into lines and hands each parsed one on; a partial line waits for the rest. */
export function lineReader<T>(onMessage: (message: T) => void): (text: string) => void {
  let pending = "";
  return (text) => {
    pending += text;
    let newline = pending.indexOf("\n");
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.length > 0) onMessage(JSON.parse(line) as T);
      newline = pending.indexOf("\n");
    }
  };
}
