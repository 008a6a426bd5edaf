// The globals a Code Mode script sees, for type-checking exec/rebase-fork.js (see this flow's tsconfig.json).
import type { FlowResult } from "codex-flows/step";
import type { RebaseForkContext } from "../flow.gen.js";

declare global {
  /** Code Mode's tool call: runs `cmd` with the host's shell in `workdir`. */
  interface ExecAnswer {
    output?: string;
    /** Present when the command ended; absent (with a session_id) while it still runs after yield_time_ms. */
    exit_code?: number | null;
    session_id?: number | string | null;
  }
  interface ExecLimits {
    yield_time_ms?: number;
    max_output_tokens?: number;
  }
  const tools: {
    exec_command(args: { cmd: string; workdir?: string } & ExecLimits): Promise<ExecAnswer>;
    write_stdin(args: { session_id: number | string; chars: string } & ExecLimits): Promise<ExecAnswer>;
  };
  /** Code Mode's output. */
  function text(value: unknown): void;
  function exit(): never;
  /** From the codex-flows prelude: the run context's `flow`. */
  const flow: RebaseForkContext["flow"];
  /** From the codex-flows prelude: prints the FLOW_RESULT line and ends the script. */
  function result(value: FlowResult): never;
  /** From the codex-flows prelude: CODEX_FLOW_<KEY> wins, else the boolean [config] value, else false. */
  function enabled(ctx: { flow: { config: object } }, key: string): Promise<boolean>;
}
