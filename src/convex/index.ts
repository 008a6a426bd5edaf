// `codex-flows/convex`: what a Convex app imports (no Node built-ins, so Convex can bundle it).

export { CodexFlows, type RunMutationCtx, type RunQueryCtx, secretMatches } from "./client.js";
export type { ComponentApi } from "./component/_generated/component.js";
