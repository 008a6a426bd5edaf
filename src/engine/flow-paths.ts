// The paths a flow.toml names: inside the flow folder, also once symlinks are resolved, and really there.
import { existsSync, lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import type { DiscoveryProblem, FlowManifest } from "../core/types.js";

/** Resolves a manifest path inside the flow folder; refuses absolute paths and `..` escapes. */
function insideFlow(root: string, relativePath: string): string | undefined {
  if (isAbsolute(relativePath)) return undefined;
  const absolute = resolve(root, relativePath);
  return contains(root, absolute) ? absolute : undefined;
}

function contains(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

interface PathFacts {
  /** Where a symlinked path really lives, when that is outside the flow folder. */
  escapesTo?: string;
  /** Whether a symlink sits between the folder and the path (the path itself included). */
  linked: boolean;
  isFile: boolean;
}

/**
 * Where `absolute` (inside `root`) really is. Real paths on both sides when a symlink is involved: a
 * flow folder may itself be a symlink (an installed flow), and what counts is that the script or
 * schema a flow runs is part of the folder that was reviewed and installed. Without a symlink
 * between the folder and the file, its real path is the folder's plus the same relative path, so it
 * is inside: one lstat per component, whose last one also says whether it is a file, instead of two
 * realpaths (about 13 lstats each here) and a stat, which were half of discovering 1,000 flows (bench P6).
 */
function inspect(root: string, absolute: string): PathFacts {
  let path = root;
  let last: ReturnType<typeof lstatSync>;
  for (const part of relative(root, absolute).split(sep)) {
    path = join(path, part);
    last = lstatSync(path, { throwIfNoEntry: false });
    if (!last) return { linked: false, isFile: false }; // missing: reported as "does not exist"
    if (last.isSymbolicLink()) return linkedFacts(root, absolute);
  }
  return { linked: false, isFile: last?.isFile() ?? false };
}

function linkedFacts(root: string, absolute: string): PathFacts {
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    return { linked: true, isFile: false }; // a dangling link: reported as "does not exist"
  }
  if (!contains(realpathSync(root), real)) return { escapesTo: real, linked: true, isFile: false };
  return { linked: true, isFile: isFile(absolute) };
}

/** The other `*.json` entries in a schema's folder (what src/schema/payload-schema.ts registers with it). */
function jsonSiblings(schema: string): { path: string; symlink: boolean }[] {
  try {
    return readdirSync(dirname(schema), { withFileTypes: true })
      .filter((entry) => entry.name.endsWith(".json") && entry.name !== basename(schema))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((entry) => ({ path: join(dirname(schema), entry.name), symlink: entry.isSymbolicLink() }));
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Problems with a step's script, schema and cwd paths, appended to `problems`; a script that does not
 * exist goes to `missingScripts` (the caller decides whether that is a problem or a warning).
 */
export function checkStepPaths(
  root: string,
  manifestPath: string,
  step: FlowManifest["steps"][number],
  index: number,
  problems: DiscoveryProblem[],
  missingScripts: DiscoveryProblem[] = problems,
): void {
  const at = `steps[${index}]`;
  const fileField = (field: string, value: string, what: string, missing = problems) => {
    const absolute = insideFlow(root, value);
    const facts = absolute ? inspect(root, absolute) : undefined;
    if (!absolute) {
      problems.push({ path: manifestPath, field, message: `${what} "${value}" points outside the flow folder` });
    } else if (facts?.escapesTo) {
      const message = `${what} "${value}" is a symlink to ${facts.escapesTo}, outside the flow folder`;
      problems.push({ path: manifestPath, field, message });
    } else if (!facts?.isFile) {
      missing.push({ path: manifestPath, field, message: `${what} "${value}" does not exist` });
    }
    return absolute && { absolute, linked: facts?.linked ?? false };
  };
  fileField(`${at}.script`, step.script, "script", missingScripts);
  const schema =
    step.trigger.schema === undefined ? undefined : fileField(`${at}.trigger.schema`, step.trigger.schema, "schema");
  // The schema's `*.json` neighbours are loaded with it, so any of them can be `$ref`'d: they count as
  // schemas too. Below a folder chain without symlinks only a neighbour that is a symlink can lead out.
  if (schema) {
    for (const sibling of jsonSiblings(schema.absolute)) {
      if (!schema.linked && !sibling.symlink) continue;
      const realTarget = inspect(root, sibling.path).escapesTo;
      if (!realTarget) continue;
      const message = `${relative(root, sibling.path)} (next to the schema, so its $refs can load it) is a symlink to ${realTarget}, outside the flow folder`;
      problems.push({ path: manifestPath, field: `${at}.trigger.schema`, message });
    }
  }
  if (step.cwd !== undefined && !isDirectory(resolve(root, step.cwd))) {
    const what = existsSync(resolve(root, step.cwd)) ? "is not a folder" : "does not exist";
    problems.push({ path: manifestPath, field: `${at}.cwd`, message: `cwd "${step.cwd}" ${what}` });
  }
}
