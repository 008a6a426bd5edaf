// One attempt's output on its way to the control plane: batched, in order, resent until stored, capped in size.
import { setTimeout as sleep } from "node:timers/promises";
import { type AttemptRef, CallRefusedError, LeaseLostError, type OutputChunkInput } from "../wire/protocol.js";
import type { LeaseProtocol } from "./lease-protocol.js";

/** A step that prints a flood would fill the disk; past this much per attempt, output is dropped with a notice. */
export const MAX_OUTPUT_PER_ATTEMPT = 8 * 1024 * 1024;
/** How often buffered output is sent: readers see it within this delay, at one call per attempt per tick. */
export const FLUSH_INTERVAL_MS = 50;
/**
 * Bytes of JSON per call: a quarter of the backend's default 1 MiB body limit, measured as sent
 * (escapes and multi-byte characters included), so a batch plus the rest of a request always fits.
 */
const MAX_BATCH_BYTES = 256 * 1024;
/** What may ride along with `complete` (the rest goes first, in batches): small, so a result always fits. */
const MAX_TAIL_BYTES = 32 * 1024;
/** Chunks per call, so a flood of tiny writes during an outage is still sent in bounded requests. */
const MAX_BATCH_CHUNKS = 2_000;

const NOTICE = "\n[codex-flows: ";

/** A chunk's size in the request body. */
function wireBytes(chunk: OutputChunkInput): number {
  return Buffer.byteLength(JSON.stringify(chunk));
}

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
    /** Each send's outcome (undefined: it went through), with when it was sent. */
    private readonly onSendFailure: (error: unknown, sentAt: number) => void,
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
    this.sending = this.sending.then(() => this.sendPending(true, shouldGiveUp, MAX_TAIL_BYTES));
    await this.sending;
    if (this.lost) return undefined;
    const rest = this.pending;
    this.pending = [];
    return rest;
  }

  private async sendPending(retry: boolean, shouldGiveUp: () => boolean = () => false, keepBytes = -1): Promise<void> {
    let delay = 100;
    const pendingBytes = () => this.pending.reduce((sum, chunk) => sum + wireBytes(chunk), 0);
    while (this.pending.length > 0 && !this.lost && (keepBytes < 0 || pendingBytes() > keepBytes)) {
      const batch: OutputChunkInput[] = [];
      let bytes = 0;
      for (const chunk of this.pending) {
        const size = wireBytes(chunk);
        if (batch.length > 0 && (bytes + size > MAX_BATCH_BYTES || batch.length >= MAX_BATCH_CHUNKS)) break;
        batch.push(chunk);
        bytes += size;
      }
      const sentAt = Date.now();
      try {
        await this.protocol.appendOutput(this.attempt, batch);
        this.pending.splice(0, batch.length);
        this.onSendFailure(undefined, sentAt);
        delay = 100;
      } catch (error) {
        if (error instanceof LeaseLostError) {
          this.lost = true;
          this.pending = [];
          this.onLeaseLost();
          return;
        }
        if (error instanceof CallRefusedError) {
          // Sending it again gets the same answer: drop it, and say so where the output was (once: a
          // refused notice is dropped without another).
          this.pending.splice(0, batch.length, ...this.refusedNotice(batch, error.message));
          continue;
        }
        this.onSendFailure(error, sentAt);
        // Kept, with their indexes: the resend is stored once even if this one arrived after all.
        if (!retry || shouldGiveUp()) return;
        await sleep(delay);
        delay = Math.min(5_000, delay * 2);
      }
    }
  }

  /** The one chunk that says the output in `chunks` was refused and dropped (for a refused complete). */
  refusedNotice(chunks: readonly OutputChunkInput[], reason: string): OutputChunkInput[] {
    if (chunks.every((chunk) => chunk.text.startsWith(NOTICE))) return [];
    const dropped = chunks.reduce((sum, chunk) => sum + chunk.text.length, 0);
    const text = `${NOTICE}${dropped} characters of output were refused by the control plane (${reason}) and dropped]\n`;
    return [{ index: this.nextIndex++, stream: "stderr", text, at: Date.now() }];
  }

  /** Drops what is buffered (the lease is gone; nobody will store it). */
  abandon(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
