// One contract every runner keeps, run against bun, a third-party plugin and code-mode (with the stand-in
// app-server): the context arrives, output streams before the end, the result comes back, abort stops it.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { discoverFlows, findFlow } from "../src/engine/discover.js";
import { normalizeEvent } from "../src/engine/event.js";
import { runStep } from "../src/engine/run-step.js";
import { fakeServer } from "./code-mode-helpers.js";
import { FIXTURES } from "./helpers.js";

const project = join(FIXTURES, "runner-contract");
const discovery = discoverFlows(project);

const runners = [
  { runner: "bun", flow: "contract-bun", env: () => process.env },
  { runner: "node (codex-flows-runner-node)", flow: "contract-node", env: () => process.env },
  { runner: "code-mode (stand-in app-server)", flow: "contract-code-mode", env: () => fakeServer().env },
];

function stepOf(flowName: string, stepName: string) {
  const flow = findFlow(discovery, flowName);
  const step = flow?.steps.find((candidate) => candidate.name === stepName);
  if (!flow || !step) throw new Error(`fixture ${flowName}/${stepName} missing: ${JSON.stringify(discovery.errors)}`);
  return { flow, step };
}

describe.each(runners)("runner contract: $runner", ({ flow: flowName, env }) => {
  test("gets the run context, streams output before finishing, and reports its FLOW_RESULT", async () => {
    const { flow, step } = stepOf(flowName, "echo");
    const streamed: string[] = [];
    const run = await runStep(flow, step, normalizeEvent({ id: "contract-1", type: "contract.echo" }), {
      env: env(),
      output: (_stream, text) => streamed.push(text),
    });
    expect(run.result).toEqual({ status: "completed", message: `${flowName}/echo/contract-1/contract` });
    expect(streamed.join("")).toContain("streamed line");
  });

  test("an abort ends a step that would never finish, as failed with `canceled`", async () => {
    const { flow, step } = stepOf(flowName, "hang");
    const controller = new AbortController();
    const running = runStep(flow, step, normalizeEvent({ id: "contract-2", type: "contract.hang" }), {
      env: env(),
      signal: controller.signal,
      // Abort once the step has shown it is running.
      output: (_stream, text) => {
        if (text.includes("streamed line")) controller.abort();
      },
    });
    expect((await running).result).toEqual({ status: "failed", message: "canceled" });
  });
});
