// The watcher's one step: asks the registry for new stable releases and fires one upstream.release event per release.
import { configValue, defineStep, enabled } from "codex-flows/step";
import type { FlowEventMap } from "../../flow-events.gen.js";
import type { CheckRegistryContext } from "../flow.gen.js";
import { fetchPackument, registryUrl } from "./registry.js";
import { parseSince, releasesSince } from "./releases.js";

// Typed by the event map: each `next` payload must fit the release flows' shared upstream.release schema.
await defineStep<CheckRegistryContext, FlowEventMap>(async (ctx) => {
  if (!enabled(ctx, "watch")) {
    return { status: "skipped", message: "the watcher is off ([config] watch = false or CODEX_FLOW_WATCH=0)" };
  }
  const packageName = configValue(ctx, "package", "@openai/codex");
  const repository = configValue(ctx, "repository", "openai/codex");
  const sinceText = configValue(ctx, "since", "");
  const since = parseSince(sinceText);
  const registry = registryUrl(configValue(ctx, "registry", ""));
  const releases = releasesSince(await fetchPackument(registry, packageName), since);
  const next = releases.map(({ version, publishedAt }) => ({
    // Stable per release: every tick reports the same releases, and the backend accepts each id once.
    id: `npm:${packageName}@${version}`,
    type: "upstream.release" as const,
    occurredAt: publishedAt,
    payload: {
      tag: `rust-v${version}`,
      version,
      repository,
      url: `https://github.com/${repository}/releases/tag/rust-v${version}`,
      publishedAt,
      package: packageName,
      registry,
    },
  }));
  const list = releases.map((release) => release.version).join(", ");
  return {
    status: "completed",
    message:
      releases.length === 0
        ? `no stable ${packageName} release after ${sinceText} on ${registry}`
        : `${releases.length} stable ${packageName} release(s) after ${sinceText}: ${list}`,
    artifacts: { registry, releases: releases.map((release) => release.version) },
    next,
  };
});
