// Whether the control plane answers: one log line when it stops answering and one when it answers again.
import { describeError } from "../core/errors.js";

export class LinkState {
  private down: string | undefined;

  constructor(
    private readonly where: string,
    private readonly log: (line: string) => void,
  ) {}

  get reachable(): boolean {
    return this.down === undefined;
  }

  /** A call failed for a reason other than a refused lease; logged only when the state changes. */
  failed(error: unknown): void {
    if (this.down !== undefined) return;
    this.down = describeError(error);
    this.log(
      `${this.where} is not answering (${this.down}); retrying with backoff, running steps keep going while their leases last`,
    );
  }

  ok(): void {
    if (this.down === undefined) return;
    this.down = undefined;
    this.log(`${this.where} answers again`);
  }
}
