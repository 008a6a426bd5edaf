// One upstream.release event runs both release flows: from the watcher's own event through `codex-flows fire`, and posted to the backend.
import { describe, expect, test } from "vitest";
import { api, finishedRuns, type Run, startBackend } from "./backend-helpers.js";
import { runCli, tempDir, writeEvent } from "./helpers.js";
import {
  FLOW as BINDINGS_FLOW,
  bindingsChecks,
  bindingsEnv,
  INSTALLED,
  olderCheckout,
} from "./release-bindings-helpers.js";
import { FORK_FLOW, forkEdit, forkEnv, forkWorld } from "./release-fork-helpers.js";
import { git, releasePayload, releaseProject, setConfig, standInRegistry } from "./release-helpers.js";

const TAG = `rust-v${INSTALLED}`;

/** Both release flows (checks and verify that pass quickly) against fresh checkouts, plus `extra` flows. */
function fanOutWorld(extra: string[] = [], edits: Record<string, (toml: string) => string> = {}) {
  const bindings = olderCheckout();
  const fork = forkWorld(undefined, { old: "rust-v0.168.0", new: TAG });
  const project = releaseProject([BINDINGS_FLOW, FORK_FLOW, ...extra], {
    [BINDINGS_FLOW]: bindingsChecks(["true"]),
    [FORK_FLOW]: forkEdit(fork, ["git diff --check {tag} HEAD"]),
    ...edits,
  });
  const env = { ...bindingsEnv(bindings.repo), ...forkEnv(fork).env, CODEX_FLOW_BINDINGS_REPO: bindings.repo };
  return { bindings, fork, project, env };
}

describe("one upstream.release, two release flows", () => {
  test("codex-flows fire: the watcher's poll reports the release, and its upstream.release event runs both flows", async () => {
    const registry = await standInRegistry("@openai/codex", {
      "0.168.0": "2026-11-01T00:00:00.000Z",
      [INSTALLED]: "2026-11-15T00:00:00.000Z",
    });
    const world = fanOutWorld(["watch-codex-releases"], {
      "watch-codex-releases": (toml) => setConfig(toml, "since", '"0.168.0"'),
    });
    const poll = writeEvent(tempDir("codex-flows-event-"), { id: "poll-1", type: "codex-releases.poll", payload: {} });
    const answer = await runCli(["fire", "--event", poll, "--json", "--cwd", world.project], {
      env: { ...world.env, CODEX_FLOW_NPM_REGISTRY: registry },
    });
    const report = JSON.parse(answer.stdout) as { runs: Run[]; errors: unknown[] };
    expect(report.errors, answer.stderr).toEqual([]);
    expect(answer.code, answer.stderr).toBe(0);
    const byFlow = Object.fromEntries(report.runs.map((run) => [run.flow, run]));
    expect(byFlow["watch-codex-releases"]?.result.next).toHaveLength(1);
    expect(byFlow[BINDINGS_FLOW]?.result, JSON.stringify(byFlow[BINDINGS_FLOW])).toMatchObject({ status: "changed" });
    expect(byFlow[FORK_FLOW]?.result, JSON.stringify(byFlow[FORK_FLOW])).toMatchObject({ status: "changed" });
    for (const flow of [BINDINGS_FLOW, FORK_FLOW]) {
      expect(byFlow[flow]).toMatchObject({ eventId: `npm:@openai/codex@${INSTALLED}`, parentEventId: "poll-1" });
    }
    expect(git(world.bindings.repo, "log", "-1", "--format=%s")).toContain(INSTALLED);
    expect(git(world.fork.fork, "merge-base", "--is-ancestor", TAG, "HEAD")).toBe("");
  });

  test("the backend: one posted upstream.release event, a run of each flow, both changed", async () => {
    const world = fanOutWorld();
    const backend = await startBackend({ project: world.project, env: world.env });
    const event = {
      id: `npm:@openai/codex@${INSTALLED}`,
      type: "upstream.release",
      payload: releasePayload(INSTALLED),
    };
    const posted = await api(backend.url, "POST", "/events", event);
    expect(posted.status, JSON.stringify(posted.body)).toBeLessThan(300);
    const runs = await finishedRuns(backend.url, event.id, 2);
    const byFlow = Object.fromEntries(runs.map((run) => [run.flow, run]));
    expect(Object.keys(byFlow).sort()).toEqual([BINDINGS_FLOW, FORK_FLOW]);
    expect(byFlow[BINDINGS_FLOW]?.result, JSON.stringify(byFlow[BINDINGS_FLOW])).toMatchObject({ status: "changed" });
    expect(byFlow[FORK_FLOW]?.result, JSON.stringify(byFlow[FORK_FLOW])).toMatchObject({ status: "changed" });
    expect(git(world.bindings.repo, "log", "-1", "--format=%s")).toContain(INSTALLED);
    expect(git(world.fork.fork, "merge-base", "--is-ancestor", TAG, "HEAD")).toBe("");
  });
});
