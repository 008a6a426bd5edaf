// Why a payload was rejected, in one line: for a `oneOf` schema the branch the payload was meant for
// (its `action` matches) and that branch's first errors, not every branch's errors (31,000 characters
// for one webhook payload against a published schema); the full list is kept alongside.
import type { Branch, PayloadValidator } from "./schema-branches.js";
import { formatSchemaErrors } from "./schema-errors.js";

/** How many errors the one-line reason shows before counting the rest. */
export const SHOWN_ERRORS = 3;

export interface Rejection {
  /** One line: `payload invalid at /path: message; ... (N more)`. */
  reason: string;
  /** Every error of the whole schema, one `"/path: message"` each. */
  errors: string[];
}

const listed = (values: unknown[]) => values.map((value) => JSON.stringify(value)).join(", ");

/** The first few errors, then in brackets a count of the rest and `note`. */
function summary(errors: string[], note?: string): string {
  const shown = errors.slice(0, SHOWN_ERRORS).join("; ");
  const rest = errors.length - SHOWN_ERRORS;
  const extra = [...(rest > 0 ? [`and ${rest} more`] : []), ...(note ? [note] : [])].join(", ");
  return extra ? `${shown} (${extra})` : shown;
}

/**
 * The branches whose discriminators the payload matches best: every discriminator it has a value for
 * holds an allowed value, at least one does, and no other branch matches more of them.
 */
function fittingBranches(branches: Branch[], payload: unknown): Branch[] {
  if (typeof payload !== "object" || payload === null) return [];
  const values = payload as Record<string, unknown>;
  let best: Branch[] = [];
  let bestScore = 0;
  for (const branch of branches) {
    let score = 0;
    let fits = true;
    for (const [name, allowed] of Object.entries(branch.discriminators)) {
      if (!(name in values)) continue;
      if (allowed.some((value) => value === values[name])) score += 1;
      else fits = false;
    }
    if (!fits || score === 0 || score < bestScore) continue;
    if (score > bestScore) best = [];
    best.push(branch);
    bestScore = score;
  }
  return best;
}

/**
 * Of the fitting branches, the one that declares most of the payload's keys, then the one with the
 * fewest errors (the first on a tie): `action` alone does not tell `issues` from `pull_request` when
 * both have an `opened`; an `issue` key does.
 */
function bestBranch(branches: Branch[], payload: unknown): { branch: Branch; errors: string[] } | undefined {
  const keys = Object.keys(payload as object);
  let best: { branch: Branch; errors: string[]; known: number } | undefined;
  for (const branch of fittingBranches(branches, payload)) {
    const known = keys.filter((key) => branch.properties.includes(key)).length;
    if (best && known < best.known) continue;
    const errors = branch.validate(payload) ? [] : formatSchemaErrors(branch.validate.errors);
    if (!best || known > best.known || errors.length < best.errors.length) best = { branch, errors, known };
  }
  return best;
}

/** A discriminator the payload sets to a value no branch allows: `/action` is "nope", branches want ... */
function unknownDiscriminator(branches: Branch[], payload: unknown): string | undefined {
  if (typeof payload !== "object" || payload === null) return undefined;
  const values = payload as Record<string, unknown>;
  const names = [...new Set(branches.flatMap((branch) => Object.keys(branch.discriminators)))];
  for (const name of names.filter((key) => key in values)) {
    const allowed = [...new Set(branches.flatMap((branch) => branch.discriminators[name] ?? []))];
    if (!allowed.includes(values[name])) {
      const shown =
        allowed.length > 8 ? `${listed(allowed.slice(0, 8))}, ... (${allowed.length} in all)` : listed(allowed);
      return `/${name}: ${JSON.stringify(values[name])} fits no branch of the schema (allowed: ${shown})`;
    }
  }
  return undefined;
}

/** Explains why `validate` (just run on `payload`, and failed) rejected it. */
export function describeRejection(validate: PayloadValidator, payload: unknown): Rejection {
  const errors = formatSchemaErrors(validate.errors);
  const branches = validate.branches;
  if (branches) {
    const best = bestBranch(branches, payload);
    if (best && best.errors.length > 0) {
      const own = best.errors;
      const pins = Object.entries(best.branch.discriminators)
        .filter(([name]) => name in (payload as Record<string, unknown>))
        .map(([name]) => `${name} ${JSON.stringify((payload as Record<string, unknown>)[name])}`)
        .join(", ");
      const branch = best.branch.name ? `the branch ${best.branch.name} for ${pins}` : `the branch for ${pins}`;
      return { reason: `payload invalid at ${summary(own, `in ${branch}`)}`, errors };
    }
    const unknown = best ? undefined : unknownDiscriminator(branches, payload);
    if (unknown) return { reason: `payload invalid at ${unknown}`, errors };
  }
  return { reason: `payload invalid at ${summary(errors)}`, errors };
}
