// @ts-check
// The fork flow's one step, run in a Codex app-server thread through Code Mode: rebase the Peezy patch stack
// onto the upstream release tag, squash it if asked, verify it, and push and tag it when enabled.
// Globals: `flow`, `result()` and `enabled()` from the codex-flows prelude; `text()` and `tools` are Code Mode's own
// (types: ./code-mode.d.ts). Every git command runs on the host through tools.exec_command.

/** @type {import("../flow.gen.js").Config} */
const config = flow.config;
const ctx = { flow };
const { tag } = flow.event.payload;
/** Conflict diffs and patches in artifacts stop here: enough to see the conflict, not a whole release. */
const ARTIFACT_CHARS = 20000;

/** @param {string} value */
const quote = (value) => `'${value.replaceAll("'", "'\\''")}'`;
/** @param {string} value */
const fill = (value) => value.replaceAll("{tag}", tag).replaceAll("{version}", version);
/** @param {string} value @param {number} [chars] */
const clip = (value, chars = ARTIFACT_CHARS) =>
  value.length > chars ? `${value.slice(0, chars)}\n... (${value.length - chars} more characters)` : value;
/** The last 40 lines (at most 4000 characters) of a command's output, for messages. @param {string} value */
const tail = (value) => {
  const kept = value.trimEnd().split("\n").slice(-40).join("\n");
  return kept.length > 4000 ? `...${kept.slice(-4000)}` : kept;
};

/**
 * Runs `cmd` on the host and waits for it to end: a command still running when exec_command answers (it waits
 * `yield_time_ms`) is polled through write_stdin until it reports its exit code.
 * @param {string} cmd
 * @param {string} [workdir]
 * @returns {Promise<{ output: string, code: number }>}
 */
async function run(cmd, workdir = repo) {
  const limits = { yield_time_ms: config.yield_time_ms, max_output_tokens: config.max_output_tokens };
  let answer = await tools.exec_command({ cmd, workdir, ...limits });
  let output = answer.output ?? "";
  while (typeof answer.exit_code !== "number" && answer.session_id !== undefined && answer.session_id !== null) {
    answer = await tools.write_stdin({ session_id: answer.session_id, chars: "", ...limits });
    output += answer.output ?? "";
  }
  if (typeof answer.exit_code !== "number") {
    return { output: `${output}\n(the command reported no exit code)`, code: -1 };
  }
  return { output, code: answer.exit_code };
}

/** Runs a command that must succeed; ends the step failed, with its output, when it does not. @param {string} cmd */
async function must(cmd) {
  const { output, code } = await run(cmd);
  if (code !== 0) {
    result({ status: "failed", message: `\`${cmd}\` failed (exit ${code}) in ${repo}:\n${tail(output)}`, artifacts });
  }
  return output.trim();
}

/** The trimmed value of an environment variable where the commands run, empty when unset. @param {string} name */
async function env(name) {
  return (await run(`printenv ${name} || true`, flow.root)).output.trim();
}

/** @type {Record<string, unknown>} */
const artifacts = { tag };

// The version comes from the tag, as in the bindings flow.
const tagMatch = /^(?:rust-)?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/.exec(tag.trim());
if (!tagMatch?.[1]) {
  result({
    status: "failed",
    message: `cannot read a version from the tag "${tag}" (expected rust-v<major>.<minor>.<patch>, e.g. rust-v0.171.0)`,
  });
}
const version = tagMatch?.[1] ?? "";
const named = flow.event.payload.version;
if (named !== undefined && named !== version) {
  result({
    status: "failed",
    message: `the tag "${tag}" names version ${version}, but the event's version is "${named}"`,
  });
}
artifacts.version = version;

const repo = (await env("PEEZY_CODEX_REPO")) || config.repo;
const branch = (await env("PEEZY_CODEX_TARGET_BRANCH")) || config.target_branch;
if (!repo) {
  result({ status: "failed", message: "no fork checkout: set PEEZY_CODEX_REPO, or [config] repo in flow.toml" });
}
artifacts.repo = repo;
artifacts.branch = branch;
if ((await run(`git -C ${quote(repo)} rev-parse --git-dir`, flow.root)).code !== 0) {
  result({ status: "failed", message: `the fork checkout ${repo} is not a git repository (PEEZY_CODEX_REPO)` });
}

// Every switch is read before anything changes, so a mistyped CODEX_FLOW_<KEY> fails the run at once.
const force = await enabled(ctx, "force");
const squash = await enabled(ctx, "squash_patch_stack");
const push = await enabled(ctx, "push");
const publish = await enabled(ctx, "publish");

// A fork version already published needs no new rebase, unless forced.
const forkVersion = fill(config.fork_version);
artifacts.forkVersion = forkVersion;
if (config.package && !force) {
  const view = await run(`npm view ${quote(`${config.package}@${forkVersion}`)} version --json`);
  if (view.code === 0 && view.output.includes(`"${forkVersion}"`)) {
    result({
      status: "skipped",
      message: `${config.package}@${forkVersion} is already published; set force = true (CODEX_FLOW_FORCE=1) to rebase anyway`,
      artifacts,
    });
  }
  if (view.code !== 0 && !/E404|404 Not Found/.test(view.output)) {
    result({
      status: "failed",
      message: `cannot ask npm whether ${config.package}@${forkVersion} is published:\n${tail(view.output)}`,
      artifacts,
    });
  }
}

// Refuse a checkout someone is working in: an unfinished rebase, or changes not committed.
const rebaseDirs = await must("git rev-parse --git-path rebase-merge --git-path rebase-apply");
const inProgress = await run(
  rebaseDirs
    .split("\n")
    .map((dir) => `test -d ${quote(dir)}`)
    .join(" || "),
);
if (inProgress.code === 0) {
  result({
    status: "blocked",
    message: `a rebase is already in progress in ${repo}: finish it (git rebase --continue) or abort it, then replay the event`,
    artifacts: { ...artifacts, status: await must("git status") },
  });
}
const dirty = await must("git status --porcelain=v1 --untracked-files=all");
if (dirty) {
  result({
    status: "blocked",
    message: `${repo} has uncommitted changes: commit, stash or discard them, then replay the event`,
    artifacts: { ...artifacts, status: dirty },
  });
}

// The upstream remote and its tags.
const remote = config.upstream_remote;
const remoteUrl = await run(`git remote get-url ${quote(remote)}`);
if (remoteUrl.code !== 0) await must(`git remote add ${quote(remote)} ${quote(config.upstream_url)}`);
artifacts.upstream = remoteUrl.code === 0 ? remoteUrl.output.trim() : config.upstream_url;
await must(`git fetch --quiet --tags ${quote(remote)}`);
if ((await run(`git rev-parse --verify --quiet ${quote(`refs/tags/${tag}^{commit}`)}`)).code !== 0) {
  result({ status: "failed", message: `the upstream remote ${remote} has no tag ${tag}`, artifacts });
}
const onTag = await must(`git rev-parse ${quote(`refs/tags/${tag}^{commit}`)}`);

// The patch stack: the target branch's commits that upstream does not have.
if ((await must("git branch --show-current")) !== branch) await must(`git checkout --quiet ${quote(branch)}`);
const before = await must("git rev-parse HEAD");
artifacts.before = before;
const base = await must(`git merge-base HEAD ${onTag}`);
const patches = (await must(`git log --reverse --format='%h %s' ${base}..HEAD`)).split("\n").filter(Boolean);
artifacts.patches = patches;

let rebased = false;
if (base !== onTag) {
  const rebase = await run(`git rebase ${quote(`refs/tags/${tag}`)}`);
  if (rebase.code !== 0) {
    const unmerged = (await run("git diff --name-only --diff-filter=U")).output.trim().split("\n").filter(Boolean);
    if (unmerged.length === 0) {
      await run("git rebase --abort");
      result({ status: "failed", message: `git rebase ${tag} failed:\n${tail(rebase.output)}`, artifacts });
    }
    const stoppedAt = (await run("git rev-parse --short REBASE_HEAD")).output.trim();
    const patch = patches.find((line) => line.startsWith(stoppedAt)) ?? stoppedAt;
    result({
      status: "needs_intervention",
      message:
        `the patch ${patch} conflicts with ${tag} in ${unmerged.join(", ")}; the rebase is paused in ${repo}: ` +
        "resolve the files and run git rebase --continue (or git rebase --abort), then replay the event",
      artifacts: {
        ...artifacts,
        unmerged,
        conflictDiff: clip((await run("git diff")).output),
        currentPatch: clip((await run("git rebase --show-current-patch")).output),
      },
    });
  }
  rebased = true;
}

// Squash the rebased stack into one commit when asked.
let count = Number(await must(`git rev-list --count ${onTag}..HEAD`));
if (count > 1 && squash) {
  const subjects = (await must(`git log --reverse --format='- %s' ${onTag}..HEAD`)).trim();
  await must(`git reset --soft ${onTag}`);
  await must(`git commit --quiet -m ${quote(fill(config.squash_message))} -m ${quote(subjects)}`);
  artifacts.squashed = count;
  count = 1;
}
const after = await must("git rev-parse HEAD");
artifacts.after = after;
artifacts.commits = count;

// Verify the fork as it now is.
/** @type {{ command: string, exit_code: number }[]} */
const verified = [];
for (const line of config.verify) {
  const command = fill(line);
  const { output, code } = await run(command);
  verified.push({ command, exit_code: code });
  if (code !== 0) {
    result({
      status: "failed",
      message: `verification \`${command}\` failed (exit ${code}) on ${branch} rebased onto ${tag}:\n${tail(output)}`,
      artifacts: { ...artifacts, verify: verified, output: tail(output) },
    });
  }
}
artifacts.verify = verified;

// Push and tag only when the deployment says so.
if (push) {
  await must(`git push --quiet --force-with-lease=${quote(branch)} ${quote(config.push_remote)} ${quote(branch)}`);
  artifacts.pushed = `${config.push_remote} ${branch}`;
}
if (publish && push) {
  const releaseTag = fill(config.release_tag);
  await must(`git tag --force ${quote(releaseTag)} HEAD`);
  await must(`git push --quiet ${quote(config.push_remote)} ${quote(`refs/tags/${releaseTag}`)}`);
  artifacts.tagged = releaseTag;
} else if (publish) {
  artifacts.tagged = "not tagged: the release tag is pushed with the branch, and push is off";
}

const what = rebased ? `rebased ${patches.length} patch(es) onto ${tag}` : `already on ${tag}`;
const squashed = artifacts.squashed ? `, squashed into one commit` : "";
const pushed = push ? `, pushed to ${config.push_remote} ${branch}` : " (not pushed: push is off)";
result({
  status: rebased || artifacts.squashed ? "changed" : "completed",
  message: `${what}${squashed}, verified (${verified.length} command(s))${pushed}`,
  artifacts,
});
