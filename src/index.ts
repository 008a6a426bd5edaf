// codex-flows' public API: discovery, matching, running and firing, plus the types flow authors and runners use.
export { type Discovery, discoverFlows, FLOW_SOURCES, findFlow } from "./discover.js";
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_DEPTH,
  type FireError,
  type FireOptions,
  type FireReport,
  fire,
} from "./engine.js";
export { describeError, EventError, FlowConfigError, FlowError, RunnerError, UsageError } from "./errors.js";
export { normalizeEvent, parseEvent, readEvent } from "./event.js";
export { EXIT_ATTENTION, EXIT_FAILED, EXIT_OK, EXIT_USAGE, exitCodeFor } from "./exit-code.js";
export { DEFAULT_TIMEOUT_MS, loadFlow } from "./manifest.js";
export { type MatchResult, matchEvent, matchStep, type StepMatch } from "./match.js";
export { findResultLine, parseResultLine, RESULT_PREFIX, resultFromOutput } from "./result.js";
export { buildContext, type RunStepOptions, runStep } from "./run-step.js";
export {
  defineRunner,
  type OutputSink,
  type OutputStream,
  type Runner,
  type RunnerDescription,
  type RunnerIO,
  type RunnerOutput,
  type StepInvocation,
} from "./runner.js";
export { BUILTIN_RUNNERS, loadRunner } from "./runner-registry.js";
export {
  createFire,
  type EventFields,
  type TypedFire,
  type TypedFireOptions,
  type TypedFireReport,
} from "./typed-fire.js";
export * from "./types.js";
