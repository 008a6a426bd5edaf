// The peezy-codex-fork flow through the code-mode runner, with a stand-in app-server that runs its commands for real.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readLog } from "./code-mode-helpers.js";
import { tempDir } from "./helpers.js";
import {
  BRANCH,
  commandsRun,
  FORK_FLOW,
  FORK_STEP,
  forkEnv,
  forkProject,
  forkWorld,
  NEW_TAG,
  rebaseInProgress,
} from "./release-fork-helpers.js";
import {
  commitFiles,
  git,
  type RunAnswer,
  releasePayload,
  runRelease,
  setConfig,
  standInRegistry,
} from "./release-helpers.js";

const PAYLOAD = releasePayload("0.171.0");
// biome-ignore lint/suspicious/noExplicitAny: artifacts are checked by shape.
const artifacts = (run: RunAnswer) => run.result.artifacts as Record<string, any>;

describe("peezy-codex-fork", () => {
  test("rebases three patches onto the new tag and squashes them into one commit; verify commands are polled to their end; not pushed", async () => {
    const world = forkWorld();
    const project = forkProject(
      world,
      ["git diff --check {tag} HEAD", "sleep 0.4 && test -f patches/a.txt && echo slow-ok-{version}"],
      (toml) => setConfig(setConfig(toml, "squash_patch_stack", "true"), "yield_time_ms", "100"),
    );
    const { env, log } = forkEnv(world);
    const run = await runRelease(project, FORK_FLOW, FORK_STEP, PAYLOAD, env);

    expect(run.result.status, run.result.message).toBe("changed");
    expect(run.code).toBe(0);
    const tagCommit = git(world.fork, "rev-parse", `${NEW_TAG}^{commit}`);
    expect(git(world.fork, "rev-parse", "HEAD^")).toBe(tagCommit);
    expect(git(world.fork, "rev-list", "--count", `${NEW_TAG}..HEAD`)).toBe("1");
    expect(git(world.fork, "branch", "--show-current")).toBe(BRANCH);
    expect(git(world.fork, "show", "HEAD:upstream.txt")).toContain("changed upstream");
    expect(git(world.fork, "ls-tree", "-r", "--name-only", "HEAD")).toContain("codex-rs/code_mode.rs");
    const message = git(world.fork, "log", "-1", "--format=%B");
    expect(message).toContain(`Peezy Codex patches on ${NEW_TAG}`);
    expect(message).toContain("- peezy patch 1\n- peezy patch 2\n- peezy patch 3");
    expect(git(world.fork, "remote", "get-url", "upstream")).toBe(world.upstream);
    expect(git(world.fork, "status", "--porcelain")).toBe("");

    expect(artifacts(run)).toMatchObject({
      tag: NEW_TAG,
      version: "0.171.0",
      before: world.before,
      after: git(world.fork, "rev-parse", "HEAD"),
      squashed: 3,
      commits: 1,
      verify: [
        { command: `git diff --check ${NEW_TAG} HEAD`, exit_code: 0 },
        { command: "sleep 0.4 && test -f patches/a.txt && echo slow-ok-0.171.0", exit_code: 0 },
      ],
    });
    expect(artifacts(run).patches).toHaveLength(3);
    expect(run.result.message).toContain("not pushed");
    expect(git(world.remote, "rev-parse", BRANCH)).toBe(world.before);
    // Everything went through tools.exec_command on the host; the slow command was polled with write_stdin.
    const commands = commandsRun(log);
    expect(commands).toContain("git fetch --quiet --tags 'upstream'");
    expect(commands).toContain(`git rebase 'refs/tags/${NEW_TAG}'`);
    expect(readLog(log).some((entry) => entry.event === "write_stdin")).toBe(true);

    // The same event again: already on the tag, nothing to rebase.
    const again = await runRelease(project, FORK_FLOW, FORK_STEP, PAYLOAD, forkEnv(world).env);
    expect(again.result.status, again.result.message).toBe("completed");
    expect(again.result.message).toContain(`already on ${NEW_TAG}`);
  });

  test("with CODEX_FLOW_PUSH=1 and CODEX_FLOW_PUBLISH=1: the rebased branch is force-pushed with a lease and the release tag pushed", async () => {
    const world = forkWorld();
    const project = forkProject(world, ["true"]);
    const run = await runRelease(
      project,
      FORK_FLOW,
      FORK_STEP,
      PAYLOAD,
      forkEnv(world, { CODEX_FLOW_PUSH: "1", CODEX_FLOW_PUBLISH: "1" }).env,
    );
    expect(run.result.status, run.result.message).toBe("changed");
    const head = git(world.fork, "rev-parse", "HEAD");
    expect(git(world.fork, "rev-list", "--count", `${NEW_TAG}..HEAD`)).toBe("3");
    expect(git(world.remote, "rev-parse", BRANCH)).toBe(head);
    expect(git(world.remote, "rev-parse", `${NEW_TAG}-peezy^{commit}`)).toBe(head);
    expect(artifacts(run)).toMatchObject({ pushed: `origin ${BRANCH}`, tagged: `${NEW_TAG}-peezy` });
  });

  test("the lease holds: a push someone else made to the fork's remote since the last fetch is not overwritten", async () => {
    const world = forkWorld();
    // Another clone pushes to the remote; the fork's remote-tracking ref does not know.
    const other = join(tempDir("codex-flows-other-"), "other");
    git(world.fork, "clone", "--quiet", "--branch", BRANCH, world.remote, other);
    git(other, "config", "user.name", "Other");
    git(other, "config", "user.email", "other@example.invalid");
    const theirs = commitFiles(other, { "theirs.txt": "someone else's work\n" }, "someone else's patch");
    git(other, "push", "--quiet", "origin", BRANCH);

    const run = await runRelease(
      forkProject(world, ["true"]),
      FORK_FLOW,
      FORK_STEP,
      PAYLOAD,
      forkEnv(world, { CODEX_FLOW_PUSH: "1" }).env,
    );
    expect(run.result.status).toBe("failed");
    expect(run.result.message).toContain("git push --quiet --force-with-lease");
    expect(run.result.message).toContain("stale info");
    expect(git(world.remote, "rev-parse", BRANCH)).toBe(theirs);
  });

  test("a patch that conflicts: needs_intervention naming the file, the diff and the patch; the rebase stays paused, and a replay is blocked", async () => {
    const world = forkWorld([
      { "patches/a.txt": "patch a\n" },
      { "upstream.txt": "line one\nline two, changed by peezy\n" },
      { "patches/c.txt": "patch c\n" },
    ]);
    const project = forkProject(world, ["true"]);
    const run = await runRelease(project, FORK_FLOW, FORK_STEP, PAYLOAD, forkEnv(world).env);

    expect(run.result.status, run.result.message).toBe("needs_intervention");
    expect(run.code).toBe(3);
    expect(run.result.message).toContain("peezy patch 2");
    expect(run.result.message).toContain("upstream.txt");
    expect(artifacts(run).unmerged).toEqual(["upstream.txt"]);
    expect(artifacts(run).conflictDiff).toContain("<<<<<<<");
    expect(artifacts(run).conflictDiff).toContain("changed by peezy");
    expect(artifacts(run).currentPatch).toContain("peezy patch 2");
    expect(rebaseInProgress(world.fork)).toBe(true);
    expect(git(world.fork, "diff", "--name-only", "--diff-filter=U")).toBe("upstream.txt");

    const replay = await runRelease(project, FORK_FLOW, FORK_STEP, PAYLOAD, forkEnv(world).env);
    expect(replay.result.status).toBe("blocked");
    expect(replay.result.message).toContain("a rebase is already in progress");
    expect(artifacts(replay).status).toContain("rebase");
    expect(rebaseInProgress(world.fork)).toBe(true);
  });

  test("a dirty tree: blocked, with the status in artifacts, and nothing rebased", async () => {
    const world = forkWorld();
    writeFileSync(join(world.fork, "patches", "a.txt"), "edited, not committed\n");
    const run = await runRelease(forkProject(world, ["true"]), FORK_FLOW, FORK_STEP, PAYLOAD, forkEnv(world).env);
    expect(run.result.status).toBe("blocked");
    expect(run.code).toBe(3);
    expect(run.result.message).toContain("uncommitted changes");
    expect(artifacts(run).status).toContain("patches/a.txt");
    expect(git(world.fork, "rev-parse", "HEAD")).toBe(world.before);
  });

  test("verify commands that fail: failed with the failing command and its output tail; later commands do not run", async () => {
    const world = forkWorld();
    const project = forkProject(world, [
      "echo formatting ok",
      "echo checking the crates; echo 'error[E0425]: cannot find value `hooks` in code_mode.rs' >&2; exit 4",
      "touch never-run",
    ]);
    const run = await runRelease(project, FORK_FLOW, FORK_STEP, PAYLOAD, forkEnv(world).env);
    expect(run.result.status).toBe("failed");
    expect(run.code).toBe(1);
    expect(run.result.message).toContain("failed (exit 4)");
    expect(run.result.message).toContain("cannot find value `hooks`");
    expect(artifacts(run).output).toContain("checking the crates");
    expect(artifacts(run).verify).toEqual([
      { command: "echo formatting ok", exit_code: 0 },
      { command: expect.stringContaining("checking the crates"), exit_code: 4 },
    ]);
    expect(git(world.fork, "status", "--porcelain")).toBe("");
  });

  test("a switch set to something that is not on or off fails the run before the fork changes, naming the variable", async () => {
    const world = forkWorld();
    const run = await runRelease(
      forkProject(world, ["true"]),
      FORK_FLOW,
      FORK_STEP,
      PAYLOAD,
      forkEnv(world, { CODEX_FLOW_PUSH: "maybe" }).env,
    );
    expect(run.result.status).toBe("failed");
    expect(run.result.message).toContain(
      'environment variable CODEX_FLOW_PUSH: must be 1 or 0 (or true/false), got "maybe"',
    );
    expect(git(world.fork, "rev-parse", "HEAD")).toBe(world.before);
  });

  test("an unreadable tag fails before anything runs in the fork", async () => {
    const world = forkWorld();
    const { env, log } = forkEnv(world);
    const run = await runRelease(forkProject(world, ["true"]), FORK_FLOW, FORK_STEP, { tag: "latest" }, env);
    expect(run.result.status).toBe("failed");
    expect(run.result.message).toContain('cannot read a version from the tag "latest"');
    expect(commandsRun(log)).toEqual([]);
  });

  test("a fork version already on npm is skipped unless force is on", async () => {
    const registry = await standInRegistry("@peezy.tech/codex", { "0.171.0": "2026-12-01T10:00:00.000Z" });
    const world = forkWorld();
    const project = forkProject(world, ["true"], (toml) => setConfig(toml, "package", '"@peezy.tech/codex"'));
    const npm = {
      npm_config_registry: registry,
      npm_config_cache: tempDir("codex-flows-npm-cache-"),
      npm_config_update_notifier: "false",
    };
    const published = await runRelease(project, FORK_FLOW, FORK_STEP, PAYLOAD, forkEnv(world, npm).env);
    expect(published.result.status, published.result.message).toBe("skipped");
    expect(published.result.message).toContain("@peezy.tech/codex@0.171.0 is already published");
    expect(git(world.fork, "rev-parse", "HEAD")).toBe(world.before);

    const forced = await runRelease(
      project,
      FORK_FLOW,
      FORK_STEP,
      PAYLOAD,
      forkEnv(world, { ...npm, CODEX_FLOW_FORCE: "1" }).env,
    );
    expect(forced.result.status, forced.result.message).toBe("changed");

    // A version not on npm yet is not skipped.
    const unpublished = await runRelease(
      project,
      FORK_FLOW,
      FORK_STEP,
      releasePayload("0.172.0"),
      forkEnv(world, npm).env,
    );
    expect(unpublished.result.status).toBe("failed");
    expect(unpublished.result.message).toContain("has no tag rust-v0.172.0");
  });
});
