// Which versions count as new releases: stable ones (no prerelease tag) after the configured `since`.

export interface Release {
  version: string;
  publishedAt: string;
}

/** `since` is a version (`0.169.0`: releases after it) or a date (`2026-12-01`: releases published after it). */
export type Since = { version: number[] } | { date: number };

const STABLE = /^(\d+)\.(\d+)\.(\d+)$/;

export function parseSince(since: string): Since {
  const version = STABLE.exec(since.trim());
  if (version) return { version: version.slice(1).map(Number) };
  const date = Date.parse(since);
  if (/^\d{4}-\d\d-\d\d/.test(since.trim()) && !Number.isNaN(date)) return { date };
  throw new Error(
    `flow.toml [config].since must be a stable version such as "0.169.0" or a date such as "2026-12-01T00:00:00Z", got ${JSON.stringify(since)}`,
  );
}

function compare(a: number[], b: number[]): number {
  for (let index = 0; index < 3; index++) {
    const diff = (a[index] ?? 0) - (b[index] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** The stable versions after `since`, oldest version first; prereleases (`0.170.0-alpha.1`) never count. */
export function releasesSince(
  packument: { versions: Record<string, unknown>; time: Record<string, string> },
  since: Since,
): Release[] {
  const releases: { release: Release; parts: number[] }[] = [];
  for (const version of Object.keys(packument.versions)) {
    const match = STABLE.exec(version);
    const publishedAt = packument.time[version];
    if (!match || publishedAt === undefined) continue;
    const parts = match.slice(1).map(Number);
    const after = "version" in since ? compare(parts, since.version) > 0 : Date.parse(publishedAt) > since.date;
    if (after) releases.push({ release: { version, publishedAt: new Date(publishedAt).toISOString() }, parts });
  }
  return releases.sort((a, b) => compare(a.parts, b.parts)).map((entry) => entry.release);
}
