// The dashboard's session store on a clock the test moves: links work once and expire, sessions expire.
import { describe, expect, test } from "vitest";
import { SessionStore } from "../src/backend/dashboard/session-store.js";

function store() {
  let now = 1_000_000;
  const sessions = new SessionStore(() => now, 60_000, 5_000);
  return { sessions, advance: (ms: number) => (now += ms) };
}

describe("dashboard sessions", () => {
  test("a link token becomes one session, once", () => {
    const { sessions } = store();
    const link = sessions.createLink();
    const session = sessions.redeem(link.token);
    expect(session?.expiresAt).toBe(1_000_000 + 60_000);
    expect(sessions.redeem(link.token)).toBeUndefined();
    expect(sessions.find(session?.id as string)).toBe(session);
    expect(sessions.redeem("guessed")).toBeUndefined();
  });

  test("a link expires unused, and a session expires after its TTL", () => {
    const { sessions, advance } = store();
    const late = sessions.createLink();
    const onTime = sessions.createLink();
    const session = sessions.redeem(onTime.token);
    advance(5_000);
    expect(sessions.redeem(late.token)).toBeUndefined();
    expect(sessions.find(session?.id as string)).toBeDefined();
    advance(55_000);
    expect(sessions.find(session?.id as string)).toBeUndefined();
  });

  test("the CSRF token is the session's own and differs from its id", () => {
    const { sessions } = store();
    const a = sessions.redeem(sessions.createLink().token);
    const b = sessions.redeem(sessions.createLink().token);
    if (!a || !b) throw new Error("no session");
    expect(a.csrf).not.toBe(a.id);
    expect(sessions.csrfMatches(a, a.csrf)).toBe(true);
    expect(sessions.csrfMatches(a, b.csrf)).toBe(false);
    expect(sessions.csrfMatches(a, undefined)).toBe(false);
    sessions.end(a.id);
    expect(sessions.find(a.id)).toBeUndefined();
  });
});
