// Where a worker finds a Convex app: --convex / CODEX_FLOW_CONVEX_URL, its service secret and the module of its wrappers.
import { UsageError } from "../core/errors.js";
import { pick } from "../core/settings.js";
import { DEFAULT_CONVEX_MODULE } from "./convex-lease-protocol.js";

const CONVEX_ENV = "CODEX_FLOW_CONVEX_";

export interface ConvexConfig {
  /** The deployment's URL, e.g. https://happy-otter-123.convex.cloud. */
  url: string;
  /** The shared service secret the app's wrappers check. */
  secret: string;
  /** The app module holding the wrappers (`flows` for `convex/flows.ts`). */
  module: string;
}

export interface ConvexFlags {
  convex?: string;
  convexSecret?: string;
  convexModule?: string;
}

/** Undefined when neither --convex nor CODEX_FLOW_CONVEX_URL is set (the worker speaks HTTP to a backend). */
export function resolveConvexConfig(flags: ConvexFlags, env: NodeJS.ProcessEnv): ConvexConfig | undefined {
  const [url, urlName] = pick(flags.convex, "convex", env, "URL", CONVEX_ENV);
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(String(url));
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new Error("not http(s)");
  } catch {
    throw new UsageError(`${urlName} is not a Convex deployment URL: "${String(url)}"`, {
      hint: "e.g. --convex https://happy-otter-123.convex.cloud",
    });
  }
  const secret = pick(flags.convexSecret, "convex-secret", env, "SECRET", CONVEX_ENV)[0];
  if (secret === undefined) {
    throw new UsageError(`${urlName} needs the app's service secret: --convex-secret or ${CONVEX_ENV}SECRET`, {
      hint: "the same value the app's wrappers compare with (docs/convex.md)",
    });
  }
  const [module, moduleName] = pick(flags.convexModule, "convex-module", env, "MODULE", CONVEX_ENV);
  const moduleText = String(module ?? DEFAULT_CONVEX_MODULE);
  if (!/^[A-Za-z0-9_/.-]+$/.test(moduleText)) {
    throw new UsageError(
      `${moduleName} must be a Convex module path like "flows" or "workers/flows", got "${moduleText}"`,
    );
  }
  return { url: String(url).replace(/\/+$/, ""), secret: String(secret), module: moduleText };
}
