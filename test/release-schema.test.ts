// The upstream.release schema both release flows share: one source, identical copies, and it accepts what the watcher sends.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { releaseVersion } from "../flows/openai-codex-bindings/exec/release-version.js";
import { discoverFlows } from "../src/engine/discover.js";
import { normalizeEvent } from "../src/engine/event.js";
import { matchEvent } from "../src/engine/match.js";
import { ROOT } from "./helpers.js";

const SOURCE = "flows/_shared/schemas/upstream-release.schema.json";
const RELEASE_FLOWS = ["openai-codex-bindings", "peezy-codex-fork"];

/** The payload flows/watch-codex-releases builds for a release (see its exec/check-registry.ts). */
const watcherPayload = {
  tag: "rust-v0.171.0",
  version: "0.171.0",
  repository: "openai/codex",
  url: "https://github.com/openai/codex/releases/tag/rust-v0.171.0",
  publishedAt: "2026-12-01T09:00:00.000Z",
  package: "@openai/codex",
  registry: "https://registry.npmjs.org/",
};

function matched(payload: unknown): string[] {
  const event = normalizeEvent({ id: "r-1", type: "upstream.release", payload });
  return matchEvent(event, discoverFlows(ROOT).flows)
    .matches.map(({ flow }) => flow.name)
    .sort();
}

describe("the shared upstream.release schema", () => {
  test.each(RELEASE_FLOWS)("flows/%s holds a byte-identical copy of the one source, and its step uses it", (name) => {
    const copy = `flows/${name}/schemas/upstream-release.schema.json`;
    expect(
      readFileSync(join(ROOT, copy), "utf8"),
      `${copy} differs from ${SOURCE}: copy the source over it (cp ${SOURCE} ${copy}) and run codegen`,
    ).toBe(readFileSync(join(ROOT, SOURCE), "utf8"));
    const flow = discoverFlows(ROOT).flows.find((candidate) => candidate.name === name);
    expect(flow?.steps.map((step) => [step.trigger.type, step.trigger.schema])).toEqual([
      ["upstream.release", join(ROOT, copy)],
    ]);
  });

  test("the watcher's payload, and one with only a tag, run both flows; a payload without a tag or with a bad date runs neither", () => {
    expect(matched(watcherPayload)).toEqual(RELEASE_FLOWS);
    expect(matched({ tag: "rust-v0.171.0" })).toEqual(RELEASE_FLOWS);
    expect(matched({ version: "0.171.0" })).toEqual([]);
    expect(matched({ ...watcherPayload, publishedAt: "yesterday" })).toEqual([]);
    expect(matched({ ...watcherPayload, repository: "not a repository" })).toEqual([]);
  });

  test("the version is read from the tag, and must agree with a version the event names", () => {
    expect(releaseVersion({ tag: "rust-v0.171.0" })).toEqual({ ok: true, version: "0.171.0" });
    expect(releaseVersion({ tag: "v0.171.0", version: "0.171.0" })).toEqual({ ok: true, version: "0.171.0" });
    expect(releaseVersion({ tag: "rust-v0.172.0-alpha.1" })).toEqual({ ok: true, version: "0.172.0-alpha.1" });
    expect(releaseVersion({ tag: "nightly" })).toEqual({
      ok: false,
      message: expect.stringContaining('cannot read a version from the tag "nightly"'),
    });
    expect(releaseVersion({ tag: "rust-v0.171.0", version: "0.170.0" })).toEqual({
      ok: false,
      message: expect.stringContaining('names version 0.171.0, but the event\'s version is "0.170.0"'),
    });
  });
});
