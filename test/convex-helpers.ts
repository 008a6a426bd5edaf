// The example Convex app (test/fixtures/convex-app) with the codex-flows component, in convex-test: the only stand-in for a deployment.
/// <reference types="vite/client" />

import { makeFunctionReference } from "convex/server";
import { convexTest } from "convex-test";
import { vi } from "vitest";
import componentSchema from "../src/convex/component/schema.js";
import type { ConvexCaller } from "../src/convex/convex-lease-protocol.js";
import { convexManifests } from "../src/convex/manifests.js";

export const SERVICE_SECRET = "convex-test-secret";

const appModules = import.meta.glob("./fixtures/convex-app/convex/**/*.ts");
const componentModules = import.meta.glob("../src/convex/component/**/*.ts");

export type ConvexApp = ReturnType<typeof convexTest>;

/**
 * A fresh deployment of the example app, its service secret set. `transactionLimits`: convex-test
 * enforces these per function call, as a deployment enforces its own (32,000 documents read).
 */
export function convexApp(transactionLimits?: { documentsRead?: number }): ConvexApp {
  vi.stubEnv("CODEX_FLOW_CONVEX_SECRET", SERVICE_SECRET);
  const t = transactionLimits
    ? convexTest({ modules: appModules, transactionLimits })
    : convexTest(undefined, appModules);
  t.registerComponent("codexFlows", componentSchema, componentModules);
  return t;
}

export interface CountingCaller extends ConvexCaller {
  /** Mutations and queries sent so far. */
  calls: number;
}

/** The adapter from a transport's calls (`flows:claim`, ...) to convex-test's t.mutation / t.query. */
export function testCaller(t: ConvexApp): CountingCaller {
  const caller: CountingCaller = {
    calls: 0,
    mutation: (name, args) => {
      caller.calls += 1;
      return t.mutation(makeFunctionReference<"mutation">(name), args);
    },
    query: (name, args) => {
      caller.calls += 1;
      return t.query(makeFunctionReference<"query">(name), args);
    },
  };
  return caller;
}

/** Calls one of the app's wrappers with the service secret. */
export function service(t: ConvexApp) {
  return {
    mutation: <T = unknown>(name: string, args: Record<string, unknown> = {}) =>
      t.mutation(makeFunctionReference<"mutation">(`flows:${name}`), { secret: SERVICE_SECRET, ...args }) as Promise<T>,
    query: <T = unknown>(name: string, args: Record<string, unknown> = {}) =>
      t.query(makeFunctionReference<"query">(`flows:${name}`), { secret: SERVICE_SECRET, ...args }) as Promise<T>,
  };
}

/** Syncs the flows of a project folder and sets the lease and backoff. */
export async function setUp(t: ConvexApp, cwd: string, settings: { leaseMs: number; retryBackoffMs: number }) {
  const app = service(t);
  await app.mutation("configure", settings);
  await app.mutation("syncManifests", { flows: convexManifests(cwd) });
  return app;
}
