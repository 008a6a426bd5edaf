// Whether the control plane answers: one log line when it stops answering and one when it answers again.
import { describeError } from "../core/errors.js";
import { ControlPlaneStoppingError } from "../wire/protocol.js";

/** Which call was answered: a control plane that is stopping still answers its running attempts' calls. */
export type AnsweredCall = "claim" | "attempt";

export class LinkState {
  private state: "up" | "stopping" | "down" = "up";
  /** When the state last changed: a call sent before that tells nothing about the link now. */
  private since = 0;

  constructor(
    private readonly where: string,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * A call sent at `sentAt` failed for a reason other than a refused lease; logged only when the
   * state changes. Calls overlap (heartbeats, output, a long-poll claim): one sent before the last
   * change that fails (or succeeds) after it must not flip the state back.
   */
  failed(error: unknown, sentAt = Date.now()): void {
    if (sentAt < this.since) return;
    if (error instanceof ControlPlaneStoppingError) {
      // A shutdown is announced once; the broken link that follows it (the server closing) once more.
      if (this.state !== "up") return;
      this.state = "stopping";
      this.since = Date.now();
      this.log(`${this.where} is stopping: no new runs until it is back; running steps keep going`);
      return;
    }
    if (this.state === "down") return;
    this.state = "down";
    this.since = Date.now();
    this.log(
      `${this.where} is not answering (${describeError(error)}); retrying with backoff, running steps keep going while their leases last`,
    );
  }

  /**
   * A call was answered. While the control plane is stopping, heartbeats are still answered, so only a
   * claim it takes again ends that state; otherwise the log would flip between the two on every beat.
   */
  ok(call: AnsweredCall, sentAt = Date.now()): void {
    if (sentAt < this.since) return;
    if (this.state === "up" || (this.state === "stopping" && call !== "claim")) return;
    this.state = "up";
    this.since = Date.now();
    this.log(`${this.where} answers again`);
  }
}
