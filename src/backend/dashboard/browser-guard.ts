// Without a secret nothing is signed, so other web pages the user opens must not be able to drive the service.
import type { IncomingMessage } from "node:http";
import { isLoopback } from "../../core/settings.js";

function hostnameOf(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  return host.split(":")[0] ?? host;
}

/**
 * Why a request to a service without a secret is refused, or undefined. Two browser attacks, and
 * neither touches a client that is not a browser (the CLI, curl and workers send no Origin, and name
 * the host they dial):
 * - A page on another origin can POST to 127.0.0.1 (a form or a "simple" fetch): browsers put its
 *   origin in `Origin`, so a state-changing request whose Origin is not this service is refused.
 * - DNS rebinding: a page's own host name made to resolve to 127.0.0.1 could read the API; its
 *   requests still name that host, so a loopback-bound service answers only loopback host names.
 */
export function foreignBrowserProblem(request: IncomingMessage, method: string, boundHost: string): string | undefined {
  const host = request.headers.host;
  if (host !== undefined && isLoopback(boundHost) && !isLoopback(hostnameOf(host))) {
    return `this service listens on ${boundHost} and answers only requests for a loopback host, not "${host}" (a web page's DNS rebinding); use http://127.0.0.1 or http://localhost`;
  }
  const origin = request.headers.origin;
  if (method === "GET" || method === "HEAD" || origin === undefined) return undefined;
  let from: string | undefined;
  try {
    from = new URL(origin).host;
  } catch {
    from = undefined;
  }
  if (from !== undefined && from === host) return undefined;
  return `${method} requests from another web page (Origin ${origin}) are refused; use the dashboard served by this service, or a client that is not a browser`;
}
