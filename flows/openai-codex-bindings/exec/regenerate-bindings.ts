// The bindings flow's one step: regenerate the app-server protocol bindings from the released Codex, check, commit, push.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { configValue, defineStep, enabled } from "codex-flows/step";
import type { RegenerateBindingsContext } from "../flow.gen.js";
import {
  committedVersion,
  compareTrees,
  GENERATED_DIR,
  listed,
  readTree,
  sameTree,
  VERSION_FILE,
  writeBindings,
} from "./bindings-tree.js";
import { codexCommand, describeCommand, generateTypeScript, reportedVersion } from "./codex-command.js";
import { changesUnder, commitPath, git, restore } from "./git.js";
import { pushAndPublish } from "./publish.js";
import { releaseVersion } from "./release-version.js";
import { runShell, tail } from "./run-command.js";

export const REPO_VARIABLE = "CODEX_FLOW_BINDINGS_REPO";

/** The project a flow folder belongs to: `<project>/flows/<flow>` or `<project>/.codex/flows/<flow>`. */
function projectRoot(flowRoot: string): string {
  const flows = dirname(flowRoot);
  if (basename(flows) !== "flows") return flowRoot;
  const above = dirname(flows);
  return basename(above) === ".codex" ? dirname(above) : above;
}

await defineStep<RegenerateBindingsContext>(async (ctx) => {
  const { payload } = ctx.flow.event;
  const release = releaseVersion(payload);
  if (!release.ok) return { status: "failed", message: release.message };
  const { version } = release;

  const configuredRepo = process.env[REPO_VARIABLE]?.trim() || configValue(ctx, "repo", "");
  const repo = configuredRepo ? resolve(ctx.flow.root, configuredRepo) : projectRoot(ctx.flow.root);
  const bindingsPath = configValue(ctx, "bindings_dir", "runners/code-mode/protocol");
  if (isAbsolute(bindingsPath)) {
    return { status: "failed", message: `[config] bindings_dir must be relative to the checkout, got ${bindingsPath}` };
  }
  const bindingsDir = join(repo, bindingsPath);
  const artifacts: Record<string, unknown> = { repo, bindings: bindingsPath, version, tag: payload.tag };

  // Read before anything changes, so a mistyped CODEX_FLOW_PUSH fails the run at once.
  const publishOptions = {
    push: enabled(ctx, "push"),
    publish: enabled(ctx, "publish"),
    remote: configValue(ctx, "remote", "origin"),
    tag: configValue(ctx, "publish_tag", "codex-bindings-v{version}").replaceAll("{version}", version),
  };

  const before = committedVersion(bindingsDir);
  artifacts.previousVersion = before ?? null;
  if (before === version) {
    // A replay after a failed push: the commit is there, so push (and tag) it now if that is on.
    const last = (await git(repo, ["log", "-1", "--format=%H", "--", join(bindingsPath, VERSION_FILE)])).trim();
    if (last) Object.assign(artifacts, { commit: last }, await pushAndPublish(repo, last, publishOptions));
    return { status: "skipped", message: `the bindings in ${bindingsPath} are already at Codex ${version}`, artifacts };
  }
  await git(repo, ["rev-parse", "--show-toplevel"]);
  const dirty = await changesUnder(repo, bindingsPath);
  if (dirty) {
    return {
      status: "blocked",
      message: `${bindingsPath} in ${repo} has uncommitted changes; commit or discard them, then replay the event`,
      artifacts: { ...artifacts, status: dirty },
    };
  }

  const codex = codexCommand(configValue(ctx, "codex_command", ""), version, process.env);
  artifacts.command = describeCommand(codex);
  const reported = await reportedVersion(codex, repo);
  if (reported.error) return { status: "failed", message: reported.error, artifacts };
  if (reported.version !== version) {
    return {
      status: "failed",
      message:
        `\`${describeCommand(codex)}\` (from ${codex.chosenBy}) is Codex ${reported.version}, not ${version}: ` +
        `point it at Codex ${version}, e.g. npx -y @openai/codex@${version}`,
      artifacts,
    };
  }

  const out = mkdtempSync(join(tmpdir(), "codex-bindings-"));
  try {
    const failure = await generateTypeScript(codex, out, repo);
    if (failure) return { status: "failed", message: failure, artifacts };
    const fresh = readTree(out);
    const current = readTree(join(bindingsDir, GENERATED_DIR));
    const changes = compareTrees(current, fresh);
    artifacts.types = {
      added: listed(changes.added),
      removed: listed(changes.removed),
      changed: listed(changes.changed),
      counts: { added: changes.added.length, removed: changes.removed.length, changed: changes.changed.length },
    };
    if (sameTree(current, fresh)) {
      return {
        status: "skipped",
        message: `Codex ${version} generates the same bindings as ${before ?? "those committed"}; nothing changed`,
        artifacts,
      };
    }
    writeBindings(bindingsDir, fresh, version, payload.tag);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }

  const checks = configValue(ctx, "checks", [] as string[]);
  for (const check of checks) {
    const result = await runShell(check, repo);
    if (result.code !== 0) {
      await restore(repo, bindingsPath);
      const output = tail(result.output);
      return {
        status: "failed",
        message: `check \`${check}\` failed (exit ${result.code}) on the Codex ${version} bindings; nothing was committed:\n${output}`,
        artifacts: { ...artifacts, failedCheck: check, exitCode: result.code, output },
      };
    }
  }
  artifacts.checks = checks;

  const { counts } = artifacts.types as { counts: Record<string, number> };
  const summary = `${counts.added} added, ${counts.removed} removed, ${counts.changed} changed types`;
  const sha = await commitPath(
    repo,
    bindingsPath,
    `Codex app-server bindings for @openai/codex ${version}\n\nGenerated by flows/openai-codex-bindings with ` +
      `\`codex app-server generate-ts\` of ${payload.tag}: ${summary}.`,
  );
  artifacts.commit = sha;

  Object.assign(artifacts, await pushAndPublish(repo, sha, publishOptions));
  const pushed = publishOptions.push ? `, pushed to ${artifacts.pushed}` : " (not pushed: push is off)";
  return {
    status: "changed",
    message: `committed the Codex ${version} bindings (${summary}) as ${sha.slice(0, 12)}${pushed}`,
    artifacts,
  };
});
