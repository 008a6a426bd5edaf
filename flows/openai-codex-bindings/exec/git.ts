// The git commands the bindings flow needs, run in the target checkout; a failure throws with git's own words.
import { runCommand } from "./run-command.js";

export class GitError extends Error {}

/** Runs `git args...` in `repo` and returns its stdout; throws a GitError naming the command when it fails. */
export async function git(repo: string, args: string[]): Promise<string> {
  const result = await runCommand("git", args, repo);
  if (result.code !== 0) {
    throw new GitError(`git ${args.join(" ")} failed in ${repo} (exit ${result.code}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

/** Uncommitted changes under `path` (porcelain lines), empty when it is clean. */
export async function changesUnder(repo: string, path: string): Promise<string> {
  return (await git(repo, ["status", "--porcelain=v1", "--untracked-files=all", "--", path])).trimEnd();
}

/** Puts `path` back as HEAD has it (or removes it when HEAD has no such path), dropping untracked files there. */
export async function restore(repo: string, path: string): Promise<void> {
  const tracked = (await git(repo, ["ls-tree", "--name-only", "HEAD", "--", path])).trim() !== "";
  if (tracked) await git(repo, ["checkout", "HEAD", "--", path]);
  await git(repo, ["clean", "-fdq", "--", path]);
}

/** Commits everything under `path` (and nothing else) with `message`; returns the new commit's sha. */
export async function commitPath(repo: string, path: string, message: string): Promise<string> {
  await git(repo, ["add", "-A", "--", path]);
  await git(repo, ["commit", "-q", "-m", message, "--", path]);
  return (await git(repo, ["rev-parse", "HEAD"])).trim();
}

/** The branch HEAD is on; throws when HEAD is detached (there is nothing to push to then). */
export async function currentBranch(repo: string): Promise<string> {
  const result = await runCommand("git", ["symbolic-ref", "--quiet", "--short", "HEAD"], repo);
  if (result.code !== 0) throw new GitError(`${repo} has a detached HEAD: check out the branch to push first`);
  return result.stdout.trim();
}
