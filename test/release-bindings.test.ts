// The openai-codex-bindings flow on a temp git checkout whose bindings are older, with the installed @openai/codex.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { readTree, versionFileText } from "../flows/openai-codex-bindings/exec/bindings-tree.js";
import { ROOT, runProcess, tempDir } from "./helpers.js";
import {
  BINDINGS,
  bindingsChecks,
  bindingsEnv,
  CODEX,
  COMMITTED,
  FLOW,
  INSTALLED,
  olderCheckout,
  STEP,
  TSC,
} from "./release-bindings-helpers.js";
import { commitFiles, git, type RunAnswer, releasePayload, releaseProject, runRelease } from "./release-helpers.js";

/** The flow with its checks replaced by `checks` (default: type-check the runner against the bindings). */
function project(checks = [`node ${TSC} -p .`]): string {
  return releaseProject([FLOW], { [FLOW]: bindingsChecks(checks) });
}

const envFor = bindingsEnv;

// biome-ignore lint/suspicious/noExplicitAny: artifacts are checked by shape.
const artifacts = (run: RunAnswer) => run.result.artifacts as Record<string, any>;

describe("openai-codex-bindings", () => {
  test("this repository's committed bindings are what the @openai/codex in devDependencies generates", async () => {
    const out = tempDir("codex-flows-generated-");
    const generated = await runProcess(CODEX, ["app-server", "generate-ts", "--out", out]);
    expect(generated.code, generated.stderr).toBe(0);
    const fresh = readTree(out);
    const committed = readTree(join(COMMITTED, "generated"));
    const stale = `runners/code-mode/protocol is stale: fire the openai-codex-bindings flow for ${INSTALLED} (docs/release-flows.md)`;
    expect([...committed.keys()], stale).toEqual([...fresh.keys()]);
    for (const [path, content] of fresh) expect(committed.get(path), `${path}: ${stale}`).toBe(content);
    expect(readFileSync(join(COMMITTED, "codex-version.ts"), "utf8")).toBe(
      versionFileText(INSTALLED, `rust-v${INSTALLED}`),
    );
  });

  test("regenerates older bindings: changed, one commit of the installed version's own output, not pushed; the same event again is skipped", async () => {
    const { repo, remote } = olderCheckout();
    const flows = project();
    const before = git(repo, "rev-parse", "HEAD");

    const run = await runRelease(flows, FLOW, STEP, releasePayload(INSTALLED), envFor(repo));
    expect(run.result.status, run.result.message).toBe("changed");
    expect(run.code).toBe(0);
    const sha = git(repo, "rev-parse", "HEAD");
    expect(git(repo, "rev-list", "--count", `${before}..HEAD`)).toBe("1");
    expect(artifacts(run).commit).toBe(sha);
    expect(git(repo, "log", "-1", "--format=%s")).toBe(`Codex app-server bindings for @openai/codex ${INSTALLED}`);
    expect(git(repo, "status", "--porcelain")).toBe("");
    // Only the bindings folder is in the commit.
    expect(
      git(repo, "show", "--name-only", "--format=", "HEAD")
        .split("\n")
        .every((p) => p.startsWith(BINDINGS)),
    ).toBe(true);
    expect(artifacts(run).types).toMatchObject({
      added: ["v2/ThreadReadParams"],
      removed: ["v2/LegacyRemovedThing"],
      changed: ["v2/ThreadStartParams"],
      counts: { added: 1, removed: 1, changed: 1 },
    });
    expect(artifacts(run).previousVersion).toBe("0.168.0");
    // The tree is the generator's output, byte for byte: the same as this repository's committed bindings.
    expect(git(repo, "rev-parse", `HEAD:${BINDINGS}/generated`)).toBe(
      git(ROOT, "rev-parse", `HEAD:${BINDINGS}/generated`),
    );
    expect(readFileSync(join(repo, BINDINGS, "codex-version.ts"), "utf8")).toContain(
      `export const CODEX_PROTOCOL_VERSION = "${INSTALLED}";`,
    );
    expect(run.result.message).toContain("not pushed");
    expect(git(remote, "rev-parse", "main")).toBe(before);

    const again = await runRelease(flows, FLOW, STEP, releasePayload(INSTALLED), envFor(repo));
    expect(again.result.status).toBe("skipped");
    expect(again.result.message).toContain(`already at Codex ${INSTALLED}`);
    expect(git(repo, "rev-parse", "HEAD")).toBe(sha);
  });

  test("without CODEX_FLOW_BINDINGS_REPO or [config] repo, the checkout is the project the flow is installed in", async () => {
    const flows = project(["true"]);
    const { repo } = olderCheckout({ ".gitignore": "node_modules\n" }, flows);
    const run = await runRelease(flows, FLOW, STEP, releasePayload(INSTALLED), envFor(""));
    expect(run.result.status, run.result.message).toBe("changed");
    expect(artifacts(run).repo).toBe(repo);
    expect(git(repo, "log", "-1", "--format=%s")).toBe(`Codex app-server bindings for @openai/codex ${INSTALLED}`);
    expect(git(repo, "status", "--porcelain")).toBe("");
  });

  test("a failing check: failed with its output tail, no commit, the checkout left clean", async () => {
    // Code that still uses a type the new release removed: the type-check of the new bindings fails.
    const { repo } = olderCheckout({
      "runners/uses-legacy.ts":
        'import type { v2 } from "./code-mode/protocol/generated/index.js";\nexport const legacy: v2.LegacyRemovedThing = { gone: true };\n',
    });
    const before = git(repo, "rev-parse", "HEAD");
    const run = await runRelease(project(), FLOW, STEP, releasePayload(INSTALLED), envFor(repo));
    expect(run.result.status).toBe("failed");
    expect(run.code).toBe(1);
    expect(run.result.message).toContain(`check \`node ${TSC} -p .\` failed`);
    expect(run.result.message).toContain("LegacyRemovedThing");
    expect(artifacts(run).output).toContain("runners/uses-legacy.ts");
    expect(git(repo, "rev-parse", "HEAD")).toBe(before);
    expect(git(repo, "status", "--porcelain")).toBe("");
    expect(readFileSync(join(repo, BINDINGS, "codex-version.ts"), "utf8")).toContain('"0.168.0"');
  });

  test("pushes the commit and the publish tag into the bare remote only with CODEX_FLOW_PUSH=1 / CODEX_FLOW_PUBLISH=1", async () => {
    const { repo, remote } = olderCheckout();
    const run = await runRelease(
      project(["true"]),
      FLOW,
      STEP,
      releasePayload(INSTALLED),
      envFor(repo, { CODEX_FLOW_PUSH: "1", CODEX_FLOW_PUBLISH: "1" }),
    );
    expect(run.result.status, run.result.message).toBe("changed");
    const sha = git(repo, "rev-parse", "HEAD");
    expect(git(remote, "rev-parse", "main")).toBe(sha);
    expect(git(remote, "rev-parse", `codex-bindings-v${INSTALLED}^{commit}`)).toBe(sha);
    expect(artifacts(run)).toMatchObject({ pushed: "origin main", published: `codex-bindings-v${INSTALLED}` });
  });

  test("a push that failed is done by the replay: the commit stays, the replay is skipped and pushes it", async () => {
    const { repo, remote } = olderCheckout();
    const flows = project(["true"]);
    const env = envFor(repo, { CODEX_FLOW_PUSH: "1", CODEX_FLOW_PUBLISH: "1" });
    git(repo, "remote", "set-url", "origin", join(repo, "no-such-remote.git"));
    const failed = await runRelease(flows, FLOW, STEP, releasePayload(INSTALLED), env);
    expect(failed.result.status).toBe("failed");
    expect(failed.result.message).toContain("git push --quiet origin HEAD:refs/heads/main failed");
    const sha = git(repo, "rev-parse", "HEAD");
    expect(git(repo, "log", "-1", "--format=%s")).toContain(INSTALLED);

    git(repo, "remote", "set-url", "origin", remote);
    const replay = await runRelease(flows, FLOW, STEP, releasePayload(INSTALLED), env);
    expect(replay.result.status, replay.result.message).toBe("skipped");
    expect(artifacts(replay)).toMatchObject({
      commit: sha,
      pushed: "origin main",
      published: `codex-bindings-v${INSTALLED}`,
    });
    expect(git(remote, "rev-parse", "main")).toBe(sha);
    expect(git(remote, "rev-parse", `codex-bindings-v${INSTALLED}^{commit}`)).toBe(sha);
  });

  test("publish without push pushes nothing and says so", async () => {
    const { repo, remote } = olderCheckout();
    const before = git(remote, "rev-parse", "main");
    const run = await runRelease(
      project(["true"]),
      FLOW,
      STEP,
      releasePayload(INSTALLED),
      envFor(repo, { CODEX_FLOW_PUBLISH: "1" }),
    );
    expect(run.result.status).toBe("changed");
    expect(artifacts(run).published).toContain("not triggered");
    expect(git(remote, "rev-parse", "main")).toBe(before);
    expect(git(remote, "tag", "--list")).toBe("");
  });

  test("bindings the release generates identically: skipped, nothing committed", async () => {
    const { repo } = olderCheckout();
    rmSync(join(repo, BINDINGS, "generated"), { recursive: true });
    cpSync(join(COMMITTED, "generated"), join(repo, BINDINGS, "generated"), { recursive: true });
    commitFiles(repo, {}, "the same types, headed 0.168.0");
    const before = git(repo, "rev-parse", "HEAD");
    const run = await runRelease(project(["false"]), FLOW, STEP, releasePayload(INSTALLED), envFor(repo));
    expect(run.result.status).toBe("skipped");
    expect(run.result.message).toContain("generates the same bindings");
    expect(git(repo, "rev-parse", "HEAD")).toBe(before);
    expect(git(repo, "status", "--porcelain")).toBe("");
  });

  test("refusals before anything runs: an unreadable tag, a command of another version, a dirty bindings folder", async () => {
    const { repo } = olderCheckout();
    const flows = project(["false"]);

    const noVersion = await runRelease(flows, FLOW, STEP, { tag: "nightly" }, envFor(repo));
    expect(noVersion.result).toMatchObject({ status: "failed" });
    expect(noVersion.result.message).toContain('cannot read a version from the tag "nightly"');

    const other = await runRelease(flows, FLOW, STEP, releasePayload("0.171.0"), envFor(repo));
    expect(other.result.status).toBe("failed");
    expect(other.result.message).toContain(`is Codex ${INSTALLED}, not 0.171.0`);
    expect(other.result.message).toContain("CODEX_FLOW_BINDINGS_CODEX_COMMAND");

    writeFileSync(join(repo, BINDINGS, "codex-version.ts"), "// edited by hand\n");
    const dirty = await runRelease(flows, FLOW, STEP, releasePayload(INSTALLED), envFor(repo));
    expect(dirty.result.status).toBe("blocked");
    expect(artifacts(dirty).status).toContain("codex-version.ts");
    expect(existsSync(join(repo, BINDINGS, "generated", "v2", "LegacyRemovedThing.ts"))).toBe(true);
  });
});
