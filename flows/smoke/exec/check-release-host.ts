// The smoke flow's one step: checks what the release flows need on this host and reports each check as an artifact.
import { basename, dirname, resolve } from "node:path";
import { loadRunner } from "codex-flows";
import { configValue, defineStep } from "codex-flows/step";
import type { CheckReleaseHostContext } from "../flow.gen.js";
import { bun, checkout, commandResolves, git, type Probe, which, writable } from "./probes.js";

/** The project a flow folder belongs to: `<project>/flows/<flow>` or `<project>/.codex/flows/<flow>`. */
function projectRoot(flowRoot: string): string {
  const flows = dirname(flowRoot);
  if (basename(flows) !== "flows") return flowRoot;
  const above = dirname(flows);
  return basename(above) === ".codex" ? dirname(above) : above;
}

/** The environment variable when set, else the `[config]` value, and which of them it was. */
function setting(name: string, configured: string): { value: string; setBy: string } {
  const fromEnv = process.env[name]?.trim();
  return fromEnv ? { value: fromEnv, setBy: name } : { value: configured, setBy: "[config]" };
}

await defineStep<CheckReleaseHostContext>(async (ctx) => {
  const project = projectRoot(ctx.flow.root);
  const bindings = setting("CODEX_FLOW_BINDINGS_REPO", configValue(ctx, "bindings_repo", ""));
  const bindingsRepo = bindings.value ? resolve(ctx.flow.root, bindings.value) : project;
  const command = setting("CODEX_FLOW_BINDINGS_CODEX_COMMAND", configValue(ctx, "codex_command", ""));
  const fork = setting("PEEZY_CODEX_REPO", configValue(ctx, "fork_repo", ""));
  const branch = setting("PEEZY_CODEX_TARGET_BRANCH", configValue(ctx, "target_branch", "code-mode-exec-hooks"));
  const dataDir = setting("CODEX_FLOW_BACKEND_DATA_DIR", configValue(ctx, "data_dir", ""));

  // The code-mode runner's own gate and app-server table, so the smoke test cannot disagree with a real run.
  const codeMode = await loadRunner("code-mode", ctx.flow.root);
  const closed = codeMode.unavailableReason?.(process.env);
  const appServer = codeMode.describe?.(process.env);
  const server = (appServer?.details as { appServer?: { command: string } } | undefined)?.appServer?.command ?? "";
  const serverFound = server === "bunx" ? process.execPath : which(server);

  const checks: Record<string, Probe> = {
    bun: bun(),
    git: git(),
    bindingsCheckout: checkout(bindingsRepo, bindings.value ? bindings.setBy : "this project", {
      path: configValue(ctx, "bindings_dir", "runners/code-mode/protocol"),
    }),
    bindingsCodex: commandResolves(command.value || "npx -y @openai/codex@{version}", command.setBy),
    forkCheckout: checkout(
      fork.value,
      fork.setBy === "[config]" ? "PEEZY_CODEX_REPO or [config] fork_repo" : fork.setBy,
      {
        branch: branch.value,
      },
    ),
    codeModeGate: closed ? { ok: false, detail: closed } : { ok: true, detail: "code-mode steps may run" },
    appServer: serverFound
      ? { ok: true, detail: `${appServer?.summary ?? server}; ${server} is ${serverFound}` }
      : { ok: false, detail: `${appServer?.summary ?? "no app-server command"}; ${server} not found` },
    dataDir: writable(
      dataDir.value ? resolve(dataDir.value) : resolve(project, ".codex/flow-backend"),
      dataDir.value ? dataDir.setBy : "the default",
    ),
  };
  const failing = Object.entries(checks).filter(([, probe]) => !probe.ok);
  const reason = ctx.flow.event.payload.reason;
  return {
    status: failing.length === 0 ? "completed" : "failed",
    message:
      failing.length === 0
        ? `all ${Object.keys(checks).length} release-host checks pass${reason ? ` (${reason})` : ""}`
        : `${failing.length} release-host check(s) fail: ${failing.map(([name, probe]) => `${name}: ${probe.detail.split("\n")[0]}`).join("; ")}`,
    artifacts: checks,
  };
});
