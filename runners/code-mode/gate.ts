// The Code Mode gate: code-mode steps run only when codex-flows is set to Code Mode (or the older runner-only switch).

export const MODE_VARIABLE = "CODEX_FLOWS_MODE";
export const CODE_MODE = "code-mode";
/** The older, narrower switch: it opens the gate but does not change which app-server is started. */
export const LEGACY_GATE_VARIABLE = "CODEX_FLOWS_ENABLE_CODE_MODE";

const TRUTHY = new Set(["1", "true", "yes", "on"]);

/** Whether `CODEX_FLOWS_MODE=code-mode` is set (it also picks `bunx @peezy.tech/codex` as the app-server). */
export function inCodeMode(env: NodeJS.ProcessEnv): boolean {
  return env[MODE_VARIABLE]?.trim().toLowerCase() === CODE_MODE;
}

/** Whether the older `CODEX_FLOWS_ENABLE_CODE_MODE` switch is on (1, true, yes or on, any case). */
export function legacyGateOpen(env: NodeJS.ProcessEnv): boolean {
  return TRUTHY.has(env[LEGACY_GATE_VARIABLE]?.trim().toLowerCase() ?? "");
}

export function codeModeEnabled(env: NodeJS.ProcessEnv): boolean {
  return inCodeMode(env) || legacyGateOpen(env);
}

/** Why a code-mode step may not run here, naming the variable to set; undefined when the gate is open. */
export function gateReason(env: NodeJS.ProcessEnv): string | undefined {
  if (codeModeEnabled(env)) return undefined;
  const mode = env[MODE_VARIABLE];
  const current = mode ? ` (it is "${mode}")` : "";
  return (
    `code-mode steps are disabled: set ${MODE_VARIABLE}=${CODE_MODE}${current}, ` +
    `or ${LEGACY_GATE_VARIABLE}=1 to enable only this runner`
  );
}
