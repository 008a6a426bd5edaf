// Opaque cursors for the newest-first listings (GET /runs, GET /events): the seq a page stopped before.

/** Above every seq SQLite hands out, so the first page's `seq < ?` range holds every row. */
export const FIRST_PAGE = Number.MAX_SAFE_INTEGER;

/**
 * Keyset, not offset: a page is `seq < cursor ORDER BY seq DESC`, an indexed range that costs the
 * same on page 10,000 as on page 1, and rows stored meanwhile (higher seqs) never shift a walk, so
 * every row that existed when it began is seen exactly once. The seq is wrapped so that callers
 * treat the cursor as a token, which leaves room to change what it holds.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`s${seq}`, "utf8").toString("base64url");
}

/** The seq a cursor holds, or undefined when it is not one this code made. */
export function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const match = /^s(\d{1,16})$/.exec(Buffer.from(cursor, "base64url").toString("utf8"));
  if (!match) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
}

/** Splits the `limit + 1` rows a page query fetched into the page and the cursor of the next one. */
export function pageOf<Row extends { seq: number }>(rows: Row[], limit: number): { rows: Row[]; next: string | null } {
  if (rows.length <= limit) return { rows, next: null };
  const page = rows.slice(0, limit);
  return { rows: page, next: encodeCursor((page[page.length - 1] as Row).seq) };
}
