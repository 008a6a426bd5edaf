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

/**
 * Where a symlinked file really lives when that is outside the flow folder, else undefined. Real paths
 * on both sides: a flow folder may itself be a symlink (an installed flow), and what counts is that
 * the script or schema a flow runs is part of the folder that was reviewed and installed.
 */
function escapesThroughSymlink(root: string, absolute: string): string | undefined {
  // Without a symlink between the folder and the file, the file's real path is the folder's plus the
  // same relative path, so it is inside: one lstat per component instead of two realpaths (about
  // 13 lstats each here), which were half of discovering 1,000 flows (bench P6).
  let path = root;
  let linked = false;
  for (const part of relative(root, absolute).split(sep)) {
    path = join(path, part);
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (!stats) return undefined; // missing: reported as "does not exist"
    if (stats.isSymbolicLink()) {
      linked = true;
      break;
    }
  }
  if (!linked) return undefined;
  let real: string;
  try {
    real = realpathSync(absolute);
  } catch {
    return undefined; // missing: reported as "does not exist"
  }
  return contains(realpathSync(root), real) ? undefined : real;
}

/** The other `*.json` files in a schema's folder (what src/schema/payload-schema.ts registers with it). */
function jsonSiblings(schema: string): string[] {
  try {
    return readdirSync(dirname(schema))
      .filter((name) => name.endsWith(".json") && name !== basename(schema))
      .sort()
      .map((name) => join(dirname(schema), name));
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
  const fileField = (field: string, value: string, what: string, missing = problems): string | undefined => {
    const absolute = insideFlow(root, value);
    const realTarget = absolute && escapesThroughSymlink(root, absolute);
    if (!absolute) {
      problems.push({ path: manifestPath, field, message: `${what} "${value}" points outside the flow folder` });
    } else if (realTarget) {
      const message = `${what} "${value}" is a symlink to ${realTarget}, outside the flow folder`;
      problems.push({ path: manifestPath, field, message });
    } else if (!isFile(absolute)) {
      missing.push({ path: manifestPath, field, message: `${what} "${value}" does not exist` });
    }
    return absolute;
  };
  fileField(`${at}.script`, step.script, "script", missingScripts);
  const schema =
    step.trigger.schema === undefined ? undefined : fileField(`${at}.trigger.schema`, step.trigger.schema, "schema");
  // The schema's `*.json` neighbours are loaded with it, so any of them can be `$ref`'d: they count as schemas too.
  if (schema) {
    for (const sibling of jsonSiblings(schema)) {
      const realTarget = escapesThroughSymlink(root, sibling);
      if (!realTarget) continue;
      const message = `${relative(root, sibling)} (next to the schema, so its $refs can load it) is a symlink to ${realTarget}, outside the flow folder`;
      problems.push({ path: manifestPath, field: `${at}.trigger.schema`, message });
    }
  }
  if (step.cwd !== undefined && !isDirectory(resolve(root, step.cwd))) {
    const what = existsSync(resolve(root, step.cwd)) ? "is not a folder" : "does not exist";
    problems.push({ path: manifestPath, field: `${at}.cwd`, message: `cwd "${step.cwd}" ${what}` });
  }
}
