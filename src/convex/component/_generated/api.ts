/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * Written by hand from the template `npx convex codegen` emits for a component: `api` and
 * `internal` name this component's own functions (for the scheduler); apps reach them through
 * `components.codexFlows` (see ./component.ts).
 * @module
 */

import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import { anyApi } from "convex/server";
import type * as events from "../events.js";
import type * as lease from "../lease.js";
import type * as queries from "../queries.js";
import type * as runs from "../runs.js";

declare const fullApi: ApiFromModules<{
  events: typeof events;
  lease: typeof lease;
  queries: typeof queries;
  runs: typeof runs;
}>;

/** This component's public functions. */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<"query" | "mutation" | "action", "public">
> = anyApi as never;
/** This component's internal functions (the lease-expiry job). */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<"query" | "mutation" | "action", "internal">
> = anyApi as never;
