// The request target as sent: path segments decoded one by one, never resolved, and the query.
import { HttpError } from "./http-io.js";

export interface RequestTarget {
  /** The raw path, for messages. */
  path: string;
  /** Decoded segments: `/events/a%2Fb/replay` gives ["events", "a/b", "replay"]. */
  segments: string[];
  query: URLSearchParams;
}

/**
 * Splits the raw target itself: `new URL()` would resolve `.` and `..` segments (also spelled `%2e`),
 * so the events with ids "." and ".." could never be reached. The path is split at `/` before
 * decoding, so an id holding `%2F` stays one segment.
 */
export function parseTarget(target: string): RequestTarget {
  // An absolute-form target (`http://host/path`, what clients send to proxies) counts by its path.
  const relative = target.startsWith("/") ? target : target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  const queryAt = relative.indexOf("?");
  const path = (queryAt === -1 ? relative : relative.slice(0, queryAt)) || "/";
  const query = new URLSearchParams(queryAt === -1 ? "" : relative.slice(queryAt + 1));
  if (!path.startsWith("/")) return { path, segments: [], query };
  try {
    const parts = path.slice(1).split("/");
    return { path, segments: path.includes("%") ? parts.map(decodeURIComponent) : parts, query };
  } catch {
    throw new HttpError(400, "the path holds malformed percent-encoding");
  }
}
