// Whether the control plane answers: one log line when it stops answering and one when it answers again.
import { describeError } from "../core/errors.js";
import { ControlPlaneStoppingError } from "../wire/protocol.js";

/** Which call was answered: a control plane that is stopping still answers its running attempts' calls. */
export type AnsweredCall = "claim" | "attempt";

export class LinkState {
  private state: "up" | "stopping" | "down" = "up";

  constructor(
    private readonly where: string,
    private readonly log: (line: string) => void,
  ) {}

  /** A call failed for a reason other than a refused lease; logged only when the state changes. */
  failed(error: unknown): void {
    if (error instanceof ControlPlaneStoppingError) {
      // A shutdown is announced once; the broken link that follows it (the server closing) once more.
      if (this.state !== "up") return;
      this.state = "stopping";
      this.log(`${this.where} is stopping: no new runs until it is back; running steps keep going`);
      return;
    }
    if (this.state === "down") return;
    this.state = "down";
    this.log(
      `${this.where} is not answering (${describeError(error)}); retrying with backoff, running steps keep going while their leases last`,
    );
  }

  /**
   * A call was answered. While the control plane is stopping, heartbeats are still answered, so only a
   * claim it takes again ends that state; otherwise the log would flip between the two on every beat.
   */
  ok(call: AnsweredCall): void {
    if (this.state === "up" || (this.state === "stopping" && call !== "claim")) return;
    this.state = "up";
    this.log(`${this.where} answers again`);
  }
}
