// Helpers for the release-flow tests: real git repositories in temp folders, a bare push remote, flow projects.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { expect, onTestFinished } from "vitest";
import { ROOT, runCli, tempDir, writeEvent } from "./helpers.js";
import { installPackage } from "./step-project.js";

/** Git with no global or system configuration: CI has no identity, and a developer's settings must not leak in. */
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null", GIT_CONFIG_NOSYSTEM: "1", GIT_TERMINAL_PROMPT: "0" };

/** Runs git in `dir` and returns its trimmed stdout; throws with stderr when it fails. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync("git", args, {
    cwd: dir,
    env: GIT_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/** `git init` on branch `branch` with a per-repository identity. */
export function initRepo(dir: string, branch = "main"): string {
  mkdirSync(dir, { recursive: true });
  git(dir, "init", "--quiet", `--initial-branch=${branch}`);
  git(dir, "config", "user.name", "Release Test");
  git(dir, "config", "user.email", "release-test@example.invalid");
  git(dir, "config", "commit.gpgsign", "false");
  return dir;
}

/** Writes `files` and commits them with `message`; returns the new sha. */
export function commitFiles(dir: string, files: Record<string, string>, message: string): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "--quiet", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** A bare repository to push to, made the `origin` of `repo` with `branch` pushed and tracked. */
export function bareRemote(repo: string, branch = "main", name = "origin"): string {
  const bare = join(tempDir("codex-flows-remote-"), "remote.git");
  git(repo, "init", "--quiet", "--bare", bare);
  git(repo, "remote", "add", name, bare);
  git(repo, "push", "--quiet", "-u", name, branch);
  return bare;
}

/** The environment of a release-flow run: no switch, checkout or command inherited from the test's own. */
export function releaseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const blank = [
    "CODEX_FLOW_PUSH",
    "CODEX_FLOW_PUBLISH",
    "CODEX_FLOW_FORCE",
    "CODEX_FLOW_SQUASH_PATCH_STACK",
    "CODEX_FLOW_BINDINGS_REPO",
    "CODEX_FLOW_BINDINGS_CODEX_COMMAND",
    "PEEZY_CODEX_REPO",
    "PEEZY_CODEX_TARGET_BRANCH",
  ];
  return { ...process.env, ...GIT_ENV, ...Object.fromEntries(blank.map((name) => [name, ""])), ...extra };
}

/**
 * A project holding copies of `flows` from this repository, with codex-flows "installed", and each flow.toml
 * edited by `edit[flow]` (a function of its text; tests use it to set `checks`, `verify` and the like).
 */
export function releaseProject(flows: string[], edit: Record<string, (toml: string) => string> = {}): string {
  const project = tempDir("codex-flows-release-");
  for (const name of flows) {
    const target = join(project, "flows", name);
    cpSync(join(ROOT, "flows", name), target, { recursive: true });
    const manifest = join(target, "flow.toml");
    const before = readFileSync(manifest, "utf8");
    const after = edit[name]?.(before) ?? before;
    if (edit[name]) expect(after, `the edit of ${name}/flow.toml changed nothing`).not.toBe(before);
    writeFileSync(manifest, after);
  }
  installPackage(project);
  return project;
}

/** Replaces the `key = ...` line (or multi-line array) of `[config]` with `key = value` (TOML text). */
export function setConfig(toml: string, key: string, value: string): string {
  const pattern = new RegExp(`^${key} = (\\[[^\\]]*\\]|.*)$`, "m");
  expect(toml, `flow.toml has no ${key}`).toMatch(pattern);
  return toml.replace(pattern, `${key} = ${value}`);
}

export interface RunAnswer {
  code: number | null;
  status: string;
  result: { status: string; message?: string; artifacts?: Record<string, unknown> };
  stderr: string;
}

/** `codex-flows run <flow> <step> --json` with an upstream.release event for `payload`. */
export async function runRelease(
  project: string,
  flow: string,
  step: string,
  payload: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): Promise<RunAnswer> {
  const event = writeEvent(tempDir("codex-flows-event-"), {
    id: `test-${Date.now()}`,
    type: "upstream.release",
    payload,
  });
  const answer = await runCli(["run", flow, step, "--event", event, "--json", "--cwd", project], { env });
  let parsed: Omit<RunAnswer, "code" | "stderr">;
  try {
    parsed = JSON.parse(answer.stdout);
  } catch {
    throw new Error(`run printed no JSON (exit ${answer.code}):\n${answer.stdout}\n--- stderr ---\n${answer.stderr}`);
  }
  return { ...parsed, code: answer.code, stderr: answer.stderr };
}

/** An upstream.release payload as the watcher sends it, for `version`. */
export function releasePayload(version: string): Record<string, unknown> {
  return {
    tag: `rust-v${version}`,
    version,
    repository: "openai/codex",
    url: `https://github.com/openai/codex/releases/tag/rust-v${version}`,
  };
}

/** A loopback npm registry serving the packument of `name` with `versions` (version -> publish time); closed after the test. */
export async function standInRegistry(name: string, versions: Record<string, string>): Promise<string> {
  const packument = {
    name,
    "dist-tags": { latest: Object.keys(versions).at(-1) },
    versions: Object.fromEntries(
      Object.keys(versions).map((version) => [
        version,
        { name, version, dist: { tarball: "http://127.0.0.1/none.tgz", shasum: "0" } },
      ]),
    ),
    time: { created: "2026-01-01T00:00:00.000Z", modified: "2026-12-01T10:00:00.000Z", ...versions },
  };
  const server = createServer((request, response) => {
    if (decodeURIComponent(request.url ?? "").toLowerCase() !== `/${name}`) {
      response.writeHead(404, { "content-type": "application/json" }).end('{"error":"Not found"}');
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}
