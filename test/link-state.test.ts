import { describe, expect, test } from "vitest";
import { ControlPlaneStoppingError } from "../src/wire/protocol.js";
import { LinkState } from "../src/worker/link-state.js";

function link() {
  const lines: string[] = [];
  return { state: new LinkState("backend", (line) => lines.push(line)), lines };
}

const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });

describe("link state", () => {
  test("an outage is logged once when it starts and once when it ends, however many calls fail", () => {
    const { state, lines } = link();
    state.ok("claim");
    state.failed(refused);
    state.failed(refused);
    state.ok("attempt");
    state.ok("claim");
    expect(lines).toEqual([
      expect.stringMatching(/backend is not answering \(.*ECONNREFUSED/),
      "backend answers again",
    ]);
  });

  test("a stopping control plane that still answers heartbeats does not flip the log on every beat", () => {
    const { state, lines } = link();
    state.failed(new ControlPlaneStoppingError());
    state.ok("attempt");
    state.failed(new ControlPlaneStoppingError());
    state.ok("attempt");
    expect(lines).toEqual([expect.stringMatching(/backend is stopping: no new runs/)]);
    // The server closes, then a new one takes claims: one line each.
    state.failed(refused);
    state.failed(new ControlPlaneStoppingError());
    state.ok("attempt");
    expect(lines.slice(1)).toEqual([expect.stringMatching(/not answering/), "backend answers again"]);
  });

  test("a stopping control plane that takes claims again is back", () => {
    const { state, lines } = link();
    state.failed(new ControlPlaneStoppingError());
    state.ok("claim");
    expect(lines).toEqual([expect.stringMatching(/is stopping/), "backend answers again"]);
  });

  test("a call sent before the last change does not flip the state back when its answer comes late", async () => {
    const { state, lines } = link();
    const before = Date.now() - 1_000;
    state.failed(refused);
    // A heartbeat sent before the outage was seen, answered from the closing server's last moments.
    state.ok("attempt", before);
    state.failed(refused, before);
    expect(lines).toEqual([expect.stringMatching(/not answering/)]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    state.ok("attempt");
    // And a failure of a call sent before the recovery does not end it.
    state.failed(refused, before);
    expect(lines).toEqual([expect.stringMatching(/not answering/), "backend answers again"]);
  });
});
