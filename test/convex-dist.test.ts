// @vitest-environment edge-runtime
// What the package ships for Convex: the built component (dist/convex/component) runs in convex-test, and the built CLI's `worker --convex`.

import { readdirSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { makeFunctionReference } from "convex/server";
import { convexTest } from "convex-test";
import { expect, test, vi } from "vitest";
import { convexManifests } from "../src/convex/manifests.js";
import { SERVICE_SECRET } from "./convex-helpers.js";
import { copyFixture, DIST, runCli } from "./helpers.js";
import { event } from "./lease-protocol-suite.js";

const BUILT = join(DIST, "convex", "component");

/** The built component's files as convex-test's module map (what import.meta.glob would give). */
function builtModules(): Record<string, () => Promise<unknown>> {
  const files = readdirSync(BUILT, { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".js"));
  return Object.fromEntries(
    files.map((name) => [`${BUILT}/${name}`, () => import(/* @vite-ignore */ pathToFileURL(join(BUILT, name)).href)]),
  );
}

test("the built component serves the example app's wrappers", async () => {
  vi.stubEnv("CODEX_FLOW_CONVEX_SECRET", SERVICE_SECRET);
  const modules = builtModules();
  expect(Object.keys(modules).map((path) => relative(BUILT, path))).toEqual(
    expect.arrayContaining(["convex.config.js", "lease.js", "events.js", "_generated/api.js"]),
  );
  const schema = ((await import(/* @vite-ignore */ pathToFileURL(join(BUILT, "schema.js")).href)) as { default: never })
    .default;
  const t = convexTest(undefined, import.meta.glob("./fixtures/convex-app/convex/**/*.ts"));
  t.registerComponent("codexFlows", schema, modules);
  const call = (name: string, args: Record<string, unknown>) =>
    t.mutation(makeFunctionReference<"mutation">(`flows:${name}`), { secret: SERVICE_SECRET, ...args });
  await call("syncManifests", { flows: convexManifests(copyFixture("backend-basic")) });
  await call("fireEvent", { event: event("built", "demo.echo", { message: "m" }) });
  const claim = await call("claim", {
    request: { workerId: "w", capabilities: { runners: ["bun"], flows: ["echo"] } },
  });
  expect(claim).toMatchObject({ eventId: "built", flow: "echo", step: "say", attemptNumber: 1 });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("the built CLI's worker --convex speaks to the deployment with the official client, and --once exits 1 when it does not answer", async () => {
  const port = await closedPort();
  const project = copyFixture("backend-basic");
  const result = await runCli(
    ["worker", "--convex", `http://127.0.0.1:${port}`, "--cwd", project, "--once", "--worker-id", "w-convex"],
    { env: { CODEX_FLOW_CONVEX_SECRET: "s", CODEX_FLOW_BACKEND_URL: "", CODEX_FLOW_CONVEX_URL: "" } },
  );
  expect(result.stderr).toContain(`polling http://127.0.0.1:${port} for runs`);
  // A link error, as over HTTP: the worker says so once and (without --once) retries.
  expect(result.stderr).toContain(
    `the Convex app at http://127.0.0.1:${port} is not answering (no Convex deployment is answering at http://127.0.0.1:${port} (ECONNREFUSED))`,
  );
  expect(result.code).toBe(1);
});

test("the built CLI refuses --convex without the service secret", async () => {
  const result = await runCli(["worker", "--convex", "https://a.convex.cloud", "--cwd", copyFixture("backend-basic")], {
    env: { CODEX_FLOW_CONVEX_SECRET: "" },
  });
  expect(result.stderr).toContain("--convex needs the app's service secret");
  expect(result.code).toBe(2);
});
