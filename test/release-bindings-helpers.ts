// The bindings flow's test world: a checkout like this repository's with older Codex bindings, and a bare remote.
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, tempDir } from "./helpers.js";
import { bareRemote, commitFiles, initRepo, releaseEnv, setConfig } from "./release-helpers.js";

export const FLOW = "openai-codex-bindings";
export const STEP = "regenerate-bindings";
export const CODEX = join(ROOT, "node_modules", ".bin", "codex");
export const INSTALLED = JSON.parse(
  readFileSync(join(ROOT, "node_modules", "@openai", "codex", "package.json"), "utf8"),
).version as string;
export const BINDINGS = "runners/code-mode/protocol";
export const COMMITTED = join(ROOT, BINDINGS);
export const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");

/** The runner's protocol module and what it imports, copied from this repository: the check type-checks them. */
export const RUNNER_FILES = [
  "runners/code-mode/app-server-protocol.ts",
  "runners/code-mode/json-rpc-client.ts",
  `${BINDINGS}/code-mode-execute.ts`,
  "src/core/errors.ts",
];

export const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "Bundler",
    lib: ["ES2023"],
    typeRoots: [join(ROOT, "node_modules", "@types")],
    types: ["node"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    resolveJsonModule: true,
  },
  include: ["runners", "src"],
};

/**
 * A checkout like this repository's, with "0.168.0" bindings: the 0.169 tree with one type changed, one missing
 * and one that 0.169 no longer has, in `dir` (default a new temp folder). Pushed to a bare `origin`.
 */
export function olderCheckout(
  extra: Record<string, string> = {},
  dir = join(tempDir("codex-flows-bindings-"), "checkout"),
): { repo: string; remote: string } {
  const repo = initRepo(dir);
  for (const file of RUNNER_FILES) cpSync(join(ROOT, file), join(repo, file));
  cpSync(join(COMMITTED, "generated"), join(repo, BINDINGS, "generated"), { recursive: true });
  const v2 = join(repo, BINDINGS, "generated", "v2");
  rmSync(join(v2, "ThreadReadParams.ts"));
  writeFileSync(join(v2, "LegacyRemovedThing.ts"), "export type LegacyRemovedThing = { gone: true };\n");
  writeFileSync(
    join(v2, "index.ts"),
    `${readFileSync(join(v2, "index.ts"), "utf8")}export type { LegacyRemovedThing } from "./LegacyRemovedThing";\n`,
  );
  writeFileSync(join(v2, "ThreadStartParams.ts"), "export type ThreadStartParams = { cwd?: string | null };\n");
  commitFiles(
    repo,
    {
      [`${BINDINGS}/codex-version.ts`]: 'export const CODEX_PROTOCOL_VERSION = "0.168.0";\n',
      "tsconfig.json": JSON.stringify(TSCONFIG, null, 2),
      "package.json": JSON.stringify({ name: "bindings-fixture", private: true, type: "module" }),
      ...extra,
    },
    "a project with Codex 0.168.0 bindings",
  );
  return { repo, remote: bareRemote(repo) };
}

/** The `[config] checks` edit of the bindings flow's flow.toml. */
export function bindingsChecks(checks: string[]): (toml: string) => string {
  return (toml) => setConfig(toml, "checks", JSON.stringify(checks));
}

/** The environment of a bindings run against `repo`, with the installed Codex as the command. */
export function bindingsEnv(repo: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return releaseEnv({ CODEX_FLOW_BINDINGS_REPO: repo, CODEX_FLOW_BINDINGS_CODEX_COMMAND: CODEX, ...extra });
}
