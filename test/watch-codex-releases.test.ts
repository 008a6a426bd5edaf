// The release watcher flow in a real `backend serve`, against a loopback stand-in for the npm registry serving a packument.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { DEFAULT_REGISTRY, registryUrl } from "../flows/watch-codex-releases/exec/registry.js";
import { parseSince, releasesSince } from "../flows/watch-codex-releases/exec/releases.js";
import { api, type Backend, eventually, type Run, startBackend } from "./backend-helpers.js";
import { ROOT, tempDir, writeFiles } from "./helpers.js";
import { installPackage } from "./step-project.js";

interface Packument {
  versions: Record<string, unknown>;
  time: Record<string, string>;
}

/** A registry stand-in on a loopback port: serves the packument of @openai/codex, and can go away and come back. */
async function standInRegistry(packument: Packument) {
  let server: Server | undefined;
  const requests: string[] = [];
  const listen = (port = 0) =>
    new Promise<number>((resolve, reject) => {
      const listening = createServer((request, response) => {
        requests.push(request.url ?? "");
        if (request.url !== "/@openai%2Fcodex") {
          response.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
          return;
        }
        response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
      });
      server = listening;
      listening.once("error", reject);
      listening.listen(port, "127.0.0.1", () => resolve((listening.address() as AddressInfo).port));
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
      server = undefined;
    });
  const port = await listen();
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    publish(version: string, at = new Date().toISOString()) {
      packument.versions[version] = { name: "@openai/codex", version };
      packument.time[version] = at;
    },
    down: close,
    up: () => listen(port),
    close,
  };
}

/** A project holding a copy of the watcher (polling every 2 s, since 0.169.0) and a flow that logs each upstream.release it gets. */
function watcherProject(): string {
  const project = tempDir("codex-flows-watcher-");
  const flow = join(project, "flows", "watch-codex-releases");
  cpSync(join(ROOT, "flows", "watch-codex-releases"), flow, { recursive: true });
  const toml = readFileSync(join(flow, "flow.toml"), "utf8");
  const fast = toml
    .replace('cron = "*/15 * * * *"', 'cron = "*/2 * * * * *"')
    .replace(/^since = .*$/m, 'since = "0.169.0"');
  expect(fast).toContain('cron = "*/2 * * * * *"');
  writeFileSync(join(flow, "flow.toml"), fast);
  installPackage(project);
  return writeFiles(project, {
    "flows/release-log/flow.toml": [
      'name = "release-log"',
      "[[steps]]",
      'name = "log"',
      'runner = "bun"',
      'script = "exec/log.ts"',
      "[steps.trigger]",
      'type = "upstream.release"',
    ].join("\n"),
    "flows/release-log/exec/log.ts": [
      'import { appendFileSync } from "node:fs";',
      "const input = JSON.parse(await new Response(Bun.stdin.stream()).text());",
      'appendFileSync(input.flow.root + "/../../releases.log", input.flow.event.payload.tag + "\\n");',
      'console.log("FLOW_RESULT " + JSON.stringify({ status: "completed" }));',
    ].join("\n"),
  });
}

async function watcherRuns(backend: Backend): Promise<Run[]> {
  const { body } = await api<{ runs: Run[] }>(backend.url, "GET", "/runs?limit=1000");
  return body.runs.filter((run) => run.flow === "watch-codex-releases").reverse();
}

// biome-ignore lint/suspicious/noExplicitAny: stored events are checked by shape.
async function releaseEvents(backend: Backend): Promise<any[]> {
  const { body } = await api(backend.url, "GET", "/events?type=upstream.release&limit=1000");
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  return body.events.map((record: any) => record.event);
}

/** Waits for `count` finished watcher runs after the first `after` of them. */
function finishedWatcherRuns(backend: Backend, after: number, count: number): Promise<Run[]> {
  return eventually(
    async () => {
      const runs = (await watcherRuns(backend)).filter((run) => ["completed", "failed"].includes(run.status));
      return runs.length >= after + count ? runs : undefined;
    },
    60_000,
    `${count} more watcher run(s)`,
  );
}

describe("watch-codex-releases", () => {
  test("a release after `since` fires one upstream.release across ticks; prereleases are ignored; an unreachable registry fails the tick and the next recovers", async () => {
    const registry = await standInRegistry({
      versions: { "0.168.0": {}, "0.169.0": {}, "0.170.0-alpha.1": {} },
      time: {
        created: "2025-01-01T00:00:00.000Z",
        modified: "2026-11-30T00:00:00.000Z",
        "0.168.0": "2026-11-01T00:00:00.000Z",
        "0.169.0": "2026-11-15T00:00:00.000Z",
        "0.170.0-alpha.1": "2026-11-30T00:00:00.000Z",
      },
    });
    try {
      const project = watcherProject();
      const backend = await startBackend({ project, env: { CODEX_FLOW_NPM_REGISTRY: registry.url } });
      // Ticks before the release: old versions and the prerelease fire nothing.
      const before = await finishedWatcherRuns(backend, 0, 2);
      for (const run of before)
        expect(run).toMatchObject({ status: "completed", result: { status: "completed", next: [] } });
      expect(registry.requests).toContain("/@openai%2Fcodex");
      expect(await releaseEvents(backend)).toEqual([]);

      registry.publish("0.170.0", "2026-12-01T09:00:00.000Z");
      registry.publish("0.171.0-beta.2");
      const published = (await watcherRuns(backend)).length;
      // Several ticks after the release.
      await finishedWatcherRuns(backend, published + 1, 3);
      const events = await releaseEvents(backend);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        id: "npm:@openai/codex@0.170.0",
        type: "upstream.release",
        occurredAt: "2026-12-01T09:00:00.000Z",
        payload: {
          tag: "rust-v0.170.0",
          version: "0.170.0",
          repository: "openai/codex",
          url: "https://github.com/openai/codex/releases/tag/rust-v0.170.0",
          publishedAt: "2026-12-01T09:00:00.000Z",
        },
      });
      // The release's own step ran once.
      const releasesLog = join(project, "releases.log");
      await eventually(() => existsSync(releasesLog) && readFileSync(releasesLog, "utf8") === "rust-v0.170.0\n");
      const { body } = await api<{ runs: Run[] }>(
        backend.url,
        "GET",
        `/runs?eventId=${encodeURIComponent(events[0].id)}`,
      );
      expect(body.runs).toHaveLength(1);

      await registry.down();
      const down = (await watcherRuns(backend)).length;
      const failed = await eventually(
        async () => (await watcherRuns(backend)).slice(down).find((run) => run.status === "failed"),
        60_000,
        "a failed watcher run",
      );
      expect(failed.result).toMatchObject({ status: "failed" });
      expect(failed.result.message).toContain(`cannot reach the npm registry at ${registry.url}@openai%2Fcodex`);
      expect(failed.result.message).toContain("CODEX_FLOW_NPM_REGISTRY");

      await registry.up();
      const back = (await watcherRuns(backend)).length;
      const recovered = await eventually(
        async () => (await watcherRuns(backend)).slice(back).find((run) => run.status === "completed"),
        60_000,
        "a completed watcher run after the registry came back",
      );
      expect(recovered.result.next).toEqual([expect.objectContaining({ id: "npm:@openai/codex@0.170.0" })]);
      expect(await releaseEvents(backend)).toHaveLength(1);
      expect(readFileSync(releasesLog, "utf8")).toBe("rust-v0.170.0\n");
      expect(await backend.stop()).toBe(0);
    } finally {
      await registry.close();
    }
  }, 180_000);

  test("since: a version or a date; stable versions only", () => {
    const packument = {
      versions: { "0.9.0": {}, "0.10.0": {}, "0.10.1-alpha.1": {}, "0.11.0": {} },
      time: {
        "0.9.0": "2026-01-01T00:00:00Z",
        "0.10.0": "2026-02-01T00:00:00Z",
        "0.10.1-alpha.1": "2026-02-15T00:00:00Z",
        "0.11.0": "2026-03-01T00:00:00Z",
      },
    };
    // Numeric, not string, order: 0.10.0 comes after 0.9.0.
    expect(releasesSince(packument, parseSince("0.9.0")).map((r) => r.version)).toEqual(["0.10.0", "0.11.0"]);
    expect(releasesSince(packument, parseSince("2026-02-10")).map((r) => r.version)).toEqual(["0.11.0"]);
    expect(() => parseSince("soon")).toThrow(/\[config\]\.since must be a stable version .* or a date/);
  });

  test("the registry: CODEX_FLOW_NPM_REGISTRY, then [config] registry, then npm's setting", () => {
    const env = { CODEX_FLOW_NPM_REGISTRY: "http://127.0.0.1:1/", npm_config_registry: "http://npm.example/" };
    expect(registryUrl("http://config.example/", env)).toBe("http://127.0.0.1:1/");
    expect(registryUrl("http://config.example/", { npm_config_registry: "http://npm.example/" })).toBe(
      "http://config.example/",
    );
    expect(registryUrl("", { npm_config_registry: "http://npm.example/" })).toBe("http://npm.example/");
    // Without any setting: what `npm config get registry` says, else the public registry.
    expect(registryUrl("", { PATH: "" })).toBe(DEFAULT_REGISTRY);
  });
});
