// One attempt's output on its way to the control plane: batched, in order, resent until stored, capped in size.
import { setTimeout as sleep } from "node:timers/promises";
import { type AttemptRef, LeaseLostError, type OutputChunkInput } from "../wire/protocol.js";
import type { LeaseProtocol } from "./lease-protocol.js";

/** A step that prints a flood would fill the disk; past this much per attempt, output is dropped with a notice. */
export const MAX_OUTPUT_PER_ATTEMPT = 8 * 1024 * 1024;
/** How often buffered output is sent: readers see it within this delay, at one call per attempt per tick. */
export const FLUSH_INTERVAL_MS = 50;
/** Text per call, well under the backend's default 1 MiB body limit even when JSON escaping doubles it. */
const MAX_BATCH_CHARS = 256 * 1024;

export class OutputBatcher {
  private pending: OutputChunkInput[] = [];
  private nextIndex = 0;
  private size = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private lost = false;

  constructor(
    private readonly protocol: LeaseProtocol,
    private readonly attempt: AttemptRef,
    /** Called once when the control plane refuses the token: the step must stop. */
    private readonly onLeaseLost: () => void,
    /** Called for a failed send (the batch is kept and resent); and with undefined once one succeeds. */
    private readonly onSendFailure: (error: unknown) => void,
  ) {}

  push(stream: string, text: string): void {
    if (this.lost || this.size >= MAX_OUTPUT_PER_ATTEMPT) return;
    let kept = text;
    if (this.size + text.length >= MAX_OUTPUT_PER_ATTEMPT) {
      kept = `${text.slice(0, MAX_OUTPUT_PER_ATTEMPT - this.size)}\n[codex-flows: output past ${MAX_OUTPUT_PER_ATTEMPT} characters was not stored]\n`;
    }
    this.size += text.length;
    this.pending.push({ index: this.nextIndex++, stream, text: kept, at: Date.now() });
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_INTERVAL_MS);
  }

  /** Sends what is buffered; batches go one at a time, so the store sees them in order. */
  flush(): Promise<void> {
    this.sending = this.sending.then(() => this.sendPending(false));
    return this.sending;
  }

  /**
   * Before `complete`: sends batches (retrying failures) until what is left fits in one, and hands that
   * rest over to travel with the completion, stored in the same commit as the result. Undefined when
   * the lease was lost.
   */
  async finish(shouldGiveUp: () => boolean = () => false): Promise<OutputChunkInput[] | undefined> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.sending = this.sending.then(() => this.sendPending(true, shouldGiveUp, MAX_BATCH_CHARS));
    await this.sending;
    if (this.lost) return undefined;
    const rest = this.pending;
    this.pending = [];
    return rest;
  }

  private async sendPending(retry: boolean, shouldGiveUp: () => boolean = () => false, keepChars = -1): Promise<void> {
    let delay = 100;
    const pendingChars = () => this.pending.reduce((sum, chunk) => sum + chunk.text.length, 0);
    while (this.pending.length > 0 && !this.lost && pendingChars() > keepChars) {
      const batch: OutputChunkInput[] = [];
      let chars = 0;
      for (const chunk of this.pending) {
        if (batch.length > 0 && chars + chunk.text.length > MAX_BATCH_CHARS) break;
        batch.push(chunk);
        chars += chunk.text.length;
      }
      try {
        await this.protocol.appendOutput(this.attempt, batch);
        this.pending.splice(0, batch.length);
        this.onSendFailure(undefined);
        delay = 100;
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.lost = true;
          this.pending = [];
          this.onLeaseLost();
          return;
        }
        this.onSendFailure(error);
        // Kept, with their indexes: the resend is stored once even if this one arrived after all.
        if (!retry || shouldGiveUp()) return;
        await sleep(delay);
        delay = Math.min(5_000, delay * 2);
      }
    }
  }

  /** Drops what is buffered (the lease is gone; nobody will store it). */
  abandon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
