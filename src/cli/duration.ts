// Durations typed on the command line (`30d`, `12h`, `90m`), as milliseconds.
import { UsageError } from "../core/errors.js";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A whole number and one unit (s, m, h, d, w), more than zero; anything else is a usage error naming `flag`. */
export function parseDuration(value: unknown, flag: string): number {
  const text = typeof value === "string" || typeof value === "number" ? String(value).trim() : "";
  const match = /^(\d+)([smhdw])$/.exec(text);
  const ms = match ? Number(match[1]) * (UNITS[match[2] as string] as number) : Number.NaN;
  if (!match || !Number.isSafeInteger(ms) || ms <= 0) {
    throw new UsageError(`${flag} must be a duration such as 30d, 12h or 90m, got "${text || String(value)}"`, {
      hint: "a whole number above 0 and one unit: s (seconds), m (minutes), h (hours), d (days), w (weeks)",
    });
  }
  return ms;
}
