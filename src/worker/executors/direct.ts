// The `direct` executor: the step runs as a child of the service, through its runner, in its own process group.
import { runStep } from "../../engine/run-step.js";
import { type Executor, stepEnvironment } from "./executor.js";

export const directExecutor: Executor = {
  name: "direct",
  run(job, io) {
    return runStep(job.flow, job.step, job.event, {
      signal: io.signal,
      output: io.output,
      env: stepEnvironment(job),
    });
  },
};
