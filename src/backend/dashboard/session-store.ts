// Dashboard logins in memory: one-time link tokens and the sessions they become. They die with the service.
import { randomBytes, timingSafeEqual } from "node:crypto";

/** How long a login link works: long enough to click, short enough that a copy in a terminal scrollback is useless. */
export const LINK_TTL_MS = 2 * 60_000;
/** How long a session lasts from the login: a working day, after which `codex-flows backend open` logs in again. */
export const SESSION_TTL_MS = 12 * 60 * 60_000;
/** Caps on what is kept: a client that mints links in a loop (it holds the secret anyway) cannot grow memory without bound. */
const MAX_LINKS = 1_000;
const MAX_SESSIONS = 1_000;

export interface Session {
  id: string;
  /** Sent back by the page in a header on every state-changing request: the cookie alone authorizes no POST. */
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

const token = () => randomBytes(32).toString("base64url");

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export class SessionStore {
  private readonly links = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => number = Date.now,
    readonly sessionTtlMs = SESSION_TTL_MS,
    readonly linkTtlMs = LINK_TTL_MS,
  ) {}

  /** A new login token, valid once within the link TTL. */
  createLink(): { token: string; expiresAt: number } {
    this.prune();
    if (this.links.size >= MAX_LINKS) this.links.delete(this.links.keys().next().value as string);
    const value = token();
    const expiresAt = this.now() + this.linkTtlMs;
    this.links.set(value, expiresAt);
    return { token: value, expiresAt };
  }

  /** Trades a link token for a session; a token works once, and not after it expired. */
  redeem(linkToken: string): Session | undefined {
    const expiresAt = this.links.get(linkToken);
    if (expiresAt === undefined) return undefined;
    this.links.delete(linkToken);
    if (expiresAt <= this.now()) return undefined;
    this.prune();
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const createdAt = this.now();
    const session: Session = { id: token(), csrf: token(), createdAt, expiresAt: createdAt + this.sessionTtlMs };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, if any (an expired one is dropped). */
  find(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (!session) return undefined;
    if (session.expiresAt <= this.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Whether `given` is the session's CSRF token, compared in constant time. */
  csrfMatches(session: Session, given: string | undefined): boolean {
    return given !== undefined && sameText(session.csrf, given);
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  private prune(): void {
    const now = this.now();
    for (const [value, expiresAt] of this.links) if (expiresAt <= now) this.links.delete(value);
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
  }
}
