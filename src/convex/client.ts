// The typed client of the codex-flows component, for an app's own (service-authenticated) Convex functions.
import type {
  FunctionArgs,
  FunctionReference,
  FunctionReturnType,
  GenericActionCtx,
  GenericDataModel,
  GenericMutationCtx,
  GenericQueryCtx,
} from "convex/server";
import type { ComponentApi } from "./component/_generated/component.js";

type MutationRef = FunctionReference<"mutation", "internal">;
type QueryRef = FunctionReference<"query", "internal">;

/** Anything that can run the component's mutations: a mutation's or an action's ctx. */
export type RunMutationCtx = Pick<
  GenericMutationCtx<GenericDataModel> | GenericActionCtx<GenericDataModel>,
  "runMutation"
>;
/** Anything that can run the component's queries. */
export type RunQueryCtx = Pick<GenericQueryCtx<GenericDataModel>, "runQuery">;

type Api = ComponentApi;

/**
 * `new CodexFlows(components.codexFlows)` in app code, then `flows.fireEvent(ctx, event)` and so on.
 * It holds no secret and checks none: an app's wrapper functions authenticate their callers (see
 * docs/convex.md) and call these.
 */
export class CodexFlows {
  constructor(readonly component: Api) {}

  private mutate<Ref extends MutationRef>(ctx: RunMutationCtx, ref: Ref, args: FunctionArgs<Ref>) {
    return ctx.runMutation(ref, args) as Promise<FunctionReturnType<Ref>>;
  }

  private read<Ref extends QueryRef>(ctx: RunQueryCtx, ref: Ref, args: FunctionArgs<Ref>) {
    return ctx.runQuery(ref, args) as Promise<FunctionReturnType<Ref>>;
  }

  // Intake and settings.
  configure(ctx: RunMutationCtx, args: FunctionArgs<Api["events"]["configure"]>) {
    return this.mutate(ctx, this.component.events.configure, args);
  }
  syncManifests(ctx: RunMutationCtx, args: FunctionArgs<Api["events"]["syncManifests"]>) {
    return this.mutate(ctx, this.component.events.syncManifests, args);
  }
  fireEvent(ctx: RunMutationCtx, event: unknown) {
    return this.mutate(ctx, this.component.events.fireEvent, { event });
  }
  replayEvent(ctx: RunMutationCtx, eventId: string) {
    return this.mutate(ctx, this.component.events.replayEvent, { eventId });
  }

  // Operations on runs.
  cancelRun(ctx: RunMutationCtx, runId: string) {
    return this.mutate(ctx, this.component.runs.cancelRun, { runId });
  }
  retryRun(ctx: RunMutationCtx, runId: string) {
    return this.mutate(ctx, this.component.runs.retryRun, { runId });
  }

  // The lease protocol (what an app's worker wrappers forward).
  claim(ctx: RunMutationCtx, args: FunctionArgs<Api["lease"]["claim"]>) {
    return this.mutate(ctx, this.component.lease.claim, args);
  }
  nextReadyAt(ctx: RunQueryCtx, args: FunctionArgs<Api["lease"]["nextReadyAt"]>) {
    return this.read(ctx, this.component.lease.nextReadyAt, args);
  }
  heartbeat(ctx: RunMutationCtx, args: FunctionArgs<Api["lease"]["heartbeat"]>) {
    return this.mutate(ctx, this.component.lease.heartbeat, args);
  }
  appendOutput(ctx: RunMutationCtx, args: FunctionArgs<Api["lease"]["appendOutput"]>) {
    return this.mutate(ctx, this.component.lease.appendOutput, args);
  }
  complete(ctx: RunMutationCtx, args: FunctionArgs<Api["lease"]["complete"]>) {
    return this.mutate(ctx, this.component.lease.complete, args);
  }

  // Queries.
  listEvents(ctx: RunQueryCtx, args: FunctionArgs<Api["queries"]["listEvents"]> = {}) {
    return this.read(ctx, this.component.queries.listEvents, args);
  }
  getEvent(ctx: RunQueryCtx, eventId: string) {
    return this.read(ctx, this.component.queries.getEvent, { eventId });
  }
  listRuns(ctx: RunQueryCtx, args: FunctionArgs<Api["queries"]["listRuns"]> = {}) {
    return this.read(ctx, this.component.queries.listRuns, args);
  }
  getRun(ctx: RunQueryCtx, runId: string) {
    return this.read(ctx, this.component.queries.getRun, { runId });
  }
  readOutput(ctx: RunQueryCtx, args: FunctionArgs<Api["queries"]["readOutput"]>) {
    return this.read(ctx, this.component.queries.readOutput, args);
  }
}

/** Compares a caller's secret with the app's in time independent of where they differ. */
export function secretMatches(given: string | undefined, expected: string | undefined): boolean {
  if (!expected || typeof given !== "string" || given.length !== expected.length) return false;
  let difference = 0;
  for (let index = 0; index < expected.length; index++)
    difference |= given.charCodeAt(index) ^ expected.charCodeAt(index);
  return difference === 0;
}
