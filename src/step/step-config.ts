// Reading flow config in step scripts: `configValue` with a typed fallback, `enabled` with CODEX_FLOW_<KEY> overrides.
import { FlowConfigError } from "../core/errors.js";

/** Anything with the run context's `flow.config`, typed by codegen or not. */
export interface HasConfig<C extends object = object> {
  flow: { name?: string; config: C };
}

/**
 * The type `configValue` returns: the generated config type of `key` when it has one, else the
 * fallback's type (config read without generated types is `unknown`, so the fallback says what to expect).
 */
export type ConfigValue<C, K extends string, F> = K extends keyof C
  ? unknown extends C[K]
    ? F
    : Exclude<C[K], undefined> | (undefined extends C[K] ? F : never)
  : F;

/** `push` -> `CODEX_FLOW_PUSH`, `open-pr` -> `CODEX_FLOW_OPEN_PR`. */
export function envOverrideName(key: string): string {
  return `CODEX_FLOW_${key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

const kindOf = (value: unknown): string => (Array.isArray(value) ? "array" : value === null ? "null" : typeof value);

function configField<C extends object>(ctx: HasConfig<C>, key: string): string {
  const flow = ctx.flow.name ? ` (flow "${ctx.flow.name}")` : "";
  return `flow.toml${flow} [config].${key}`;
}

/**
 * `flow.config[key]`, or `fallback` when the key is absent. A value of another kind than the fallback
 * (a string where a boolean was expected) throws, naming the key, instead of flowing on mistyped.
 */
export function configValue<C extends object, K extends string, F>(
  ctx: HasConfig<C>,
  key: K,
  fallback: F,
): ConfigValue<C, K, F> {
  const value = (ctx.flow.config as Record<string, unknown>)[key];
  if (value === undefined) return fallback as ConfigValue<C, K, F>;
  if (fallback !== undefined && fallback !== null && kindOf(value) !== kindOf(fallback)) {
    throw new FlowConfigError(`must be a ${kindOf(fallback)}, got ${kindOf(value)}`, {
      where: configField(ctx, key),
      hint: `fix the value in flow.toml, or pass a ${kindOf(value)} fallback`,
    });
  }
  return value as ConfigValue<C, K, F>;
}

const TRUE = new Set(["1", "true", "yes", "on"]);
const FALSE = new Set(["0", "false", "no", "off"]);

/**
 * Whether a switch like `push` or `publish` is on: `CODEX_FLOW_<KEY>=1|0` in the environment wins
 * (true/false, yes/no and on/off also work; empty counts as unset), then the boolean `[config]` value,
 * then off. Deployments turn pushing on with `CODEX_FLOW_PUSH=1` without editing the flow.
 */
export function enabled<C extends object>(
  ctx: HasConfig<C>,
  key: string,
  env: Record<string, string | undefined> = process.env,
): boolean {
  const name = envOverrideName(key);
  const override = env[name]?.trim().toLowerCase();
  if (override) {
    if (TRUE.has(override)) return true;
    if (FALSE.has(override)) return false;
    throw new FlowConfigError(`must be 1 or 0 (or true/false), got "${env[name]}"`, {
      where: `environment variable ${name}`,
    });
  }
  const value = (ctx.flow.config as Record<string, unknown>)[key];
  if (value === undefined) return false;
  if (typeof value !== "boolean") {
    throw new FlowConfigError(`must be true or false, got ${kindOf(value)}`, { where: configField(ctx, key) });
  }
  return value;
}
