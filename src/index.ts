// codex-flows' public API: discovery, matching, running and firing, plus the types flow authors and runners use.

// For syncing a project's flows to the Convex component (docs/convex.md); the component itself is codex-flows/convex.
export { type ConvexFlowManifest, type ConvexStepManifest, convexManifests } from "./convex/manifests.js";
export { describeError, EventError, FlowConfigError, FlowError, RunnerError, UsageError } from "./core/errors.js";
export * from "./core/types.js";
export { type Discovery, discoverFlows, FLOW_SOURCES, findFlow } from "./engine/discover.js";
export {
  DEFAULT_CONCURRENCY,
  DEFAULT_MAX_DEPTH,
  type FireError,
  type FireOptions,
  type FireReport,
  fire,
} from "./engine/engine.js";
export { normalizeEvent, parseEvent, readEvent } from "./engine/event.js";
export { EXIT_ATTENTION, EXIT_FAILED, EXIT_OK, EXIT_USAGE, exitCodeFor } from "./engine/exit-code.js";
// Discovery kept while no flow folder or flow.toml changed, and matching through it: what the backend does per event.
export { FlowCatalog } from "./engine/flow-catalog.js";
export { DEFAULT_TIMEOUT_MS, loadFlow } from "./engine/manifest.js";
export { type MatchResult, matchEvent, matchStep, type StepMatch } from "./engine/match.js";
export { buildContext, type RunStepOptions, runStep } from "./engine/run-step.js";
export { BUILTIN_RUNNERS, loadRunner } from "./engine/runner-registry.js";
export {
  createFire,
  type EventFields,
  type TypedFire,
  type TypedFireOptions,
  type TypedFireReport,
} from "./engine/typed-fire.js";
export { findResultLine, parseResultLine, RESULT_PREFIX, resultFromOutput } from "./runner/result.js";
export {
  defineRunner,
  type Environment,
  type OutputSink,
  type OutputStream,
  type Runner,
  type RunnerDescription,
  type RunnerIO,
  type RunnerOutput,
  type StepInvocation,
} from "./runner/runner.js";
