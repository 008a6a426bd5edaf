// Where the CLI and workers find a running backend: --url, CODEX_FLOW_BACKEND_URL, else its HOST and PORT variables.
import { UsageError } from "../core/errors.js";
import { DEFAULT_HOST, DEFAULT_PORT, ENV, pick } from "../core/settings.js";

export interface ClientConfig {
  url: string;
  secret?: string;
}

/** Where the CLI finds the service: --url, CODEX_FLOW_BACKEND_URL, else the HOST and PORT variables. */
export function resolveClientConfig(
  flags: { url?: string; secret?: string },
  env: NodeJS.ProcessEnv = process.env,
): ClientConfig {
  const secret = pick(flags.secret, "secret", env, "SECRET")[0];
  let url = pick(flags.url, "url", env, "URL")[0] as string | undefined;
  if (url === undefined) {
    const host = env[`${ENV}HOST`] || DEFAULT_HOST;
    const port = env[`${ENV}PORT`] || String(DEFAULT_PORT);
    // 0.0.0.0 and :: are bind-all addresses, not places to connect to.
    const connectHost = host === "0.0.0.0" || host === "::" ? DEFAULT_HOST : host.includes(":") ? `[${host}]` : host;
    url = `http://${connectHost}:${port}`;
  }
  try {
    new URL(String(url));
  } catch {
    throw new UsageError(`--url is not a URL: "${String(url)}"`, { hint: "e.g. --url http://127.0.0.1:7345" });
  }
  return { url: String(url).replace(/\/+$/, ""), ...(secret === undefined ? {} : { secret: String(secret) }) };
}
