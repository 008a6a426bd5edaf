// Firing events from TypeScript with payloads checked against the generated FlowEventMap.
import { randomUUID } from "node:crypto";
import type { DiscoveryProblem } from "../core/types.js";
import { discoverFlows } from "./discover.js";
import { type FireOptions, type FireReport, fire } from "./engine.js";
import { normalizeEvent } from "./event.js";

export interface TypedFireOptions extends FireOptions {
  /** Project folder holding `.codex/flows` and `flows` (default: the current folder). */
  cwd?: string;
}

/** Optional event fields; `id` defaults to a random UUID and `receivedAt` to now. */
export interface EventFields {
  id?: string;
  source?: string;
  occurredAt?: string;
}

export interface TypedFireReport extends FireReport {
  /** Flows left out because their flow.toml is broken (the others still ran). */
  discoveryErrors: DiscoveryProblem[];
}

/** `fire(type, payload)` for the event types of `M`, each with its own payload type. */
export type TypedFire<M> = <K extends keyof M & string>(
  type: K,
  payload: M[K],
  fields?: EventFields,
) => Promise<TypedFireReport>;

/**
 * A `fire` whose event types and payloads are those of the map `M`, normally the generated
 * `FlowEventMap` (flows/flow-events.gen.ts):
 *
 *     const fire = createFire<FlowEventMap>({ cwd });
 *     await fire("hello.greet", { name: "world" }); // a wrong payload is a type error
 *
 * Each call discovers the flows afresh, then runs the engine's `fire` (matching steps, chained `next`).
 */
export function createFire<M>(options: TypedFireOptions = {}): TypedFire<M> {
  const { cwd, ...fireOptions } = options;
  return async (type, payload, fields = {}) => {
    const event = normalizeEvent({ ...fields, id: fields.id ?? randomUUID(), type, payload }, `fire("${type}")`);
    const discovery = discoverFlows(cwd);
    const report = await fire(event, discovery.flows, fireOptions);
    return { ...report, discoveryErrors: discovery.errors };
  };
}
