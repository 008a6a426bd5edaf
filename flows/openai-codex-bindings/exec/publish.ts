// Pushing the bindings commit and the tag that triggers publishing, each only when its switch is on.
import { currentBranch, git } from "./git.js";

export interface PublishOptions {
  push: boolean;
  publish: boolean;
  remote: string;
  /** The publish tag's name, `{version}` already filled in. */
  tag: string;
}

/**
 * Pushes HEAD's branch and, with publish on too, tags `sha` and pushes the tag. Both are no-ops when the remote
 * already has them, so a replay after a failed push finishes the job. Returns what was done, for artifacts.
 */
export async function pushAndPublish(repo: string, sha: string, options: PublishOptions) {
  const done: { pushed?: string; published?: string } = {};
  if (options.push) {
    const branch = await currentBranch(repo);
    await git(repo, ["push", "--quiet", options.remote, `HEAD:refs/heads/${branch}`]);
    done.pushed = `${options.remote} ${branch}`;
  }
  if (options.publish && options.push) {
    const existing = (await git(repo, ["tag", "--list", options.tag])).trim();
    if (!existing) await git(repo, ["tag", options.tag, sha]);
    // A tag already there for another commit fails here, naming it: someone must decide which is right.
    const tagged = (await git(repo, ["rev-parse", `refs/tags/${options.tag}^{commit}`])).trim();
    if (tagged !== sha) throw new Error(`the tag ${options.tag} already exists for ${tagged}, not ${sha}`);
    await git(repo, ["push", "--quiet", options.remote, `refs/tags/${options.tag}`]);
    done.published = options.tag;
  } else if (options.publish) {
    done.published = "not triggered: publishing pushes a tag, and push is off";
  }
  return done;
}
