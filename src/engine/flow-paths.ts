// The paths a flow.toml names: inside the flow folder, also once symlinks are resolved, and really there.
import { existsSync, lstatSync, realpathSync, type Stats, statSync } from "node:fs";
import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import type { DiscoveryProblem, FlowManifest } from "../core/types.js";
import { type Listing, listFolder } from "./folder-listings.js";

/** A `.` or `..` part, an empty one (`a//b`, a trailing `/`), or a leading `/`. */
const NOT_PLAIN = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * Whether `value` is a plain relative path (`a/b.ts`: no `.`, `..` or empty part), for which
 * `resolve(root, value)` is `root/value` and `relative(root, root/value)` is `value`. Node's `resolve`
 * and `relative` normalize both sides every call: they were a fifth of discovering 1,000 flows (bench
 * P6), and manifests almost always name plain paths.
 */
function isPlain(value: string): boolean {
  return sep === "/" && !NOT_PLAIN.test(value);
}

/** `resolve(root, value)` for an absolute, normalized `root`. */
export function resolveIn(root: string, value: string): string {
  return isPlain(value) ? `${root}/${value}` : resolve(root, value);
}

function contains(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

// One options object for the lstat made per path.
const NO_THROW = { throwIfNoEntry: false } as const;

interface PathFacts {
  /** Where a symlinked path really lives, when that is outside the flow folder. */
  escapesTo?: string;
  /** Whether a symlink sits between the folder and the path (the path itself included). */
  linked: boolean;
  isFile: boolean;
}

/** A path a manifest names, resolved inside the flow folder: its absolute form and its parts below the folder. */
interface Inside {
  absolute: string;
  parts: string[];
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
 * Checks the paths of one flow's steps. What the file system says about a path is asked once per
 * flow: the steps of a flow usually share their script (3 lstats of one file per flow before) and
 * schema folder.
 */
export class FlowPathChecker {
  /** The flow folder, absolute and normalized. */
  private readonly root: string;
  /** What each path the manifest names (by its text) resolved to and what is there. */
  private readonly seen = new Map<string, { inside?: Inside; facts?: PathFacts }>();
  /** Folders listed (a schema's): each entry's type, or null when the folder could not be read. */
  private readonly listings = new Map<string, Listing | null>();
  private realRoot: string | undefined;

  constructor(
    root: string,
    private readonly manifestPath: string,
  ) {
    // Discovery's folders are absolute and normalized already: resolving them again was measurable.
    this.root = root.startsWith("/") && isPlain(root.slice(1)) ? root : resolve(root);
  }

  /** The absolute path of a value in the manifest (script, schema, cwd), as the flow's steps get it. */
  resolve(value: string): string {
    return this.seen.get(value)?.inside?.absolute ?? resolveIn(this.root, value);
  }

  /** Resolves a manifest path inside the flow folder; refuses absolute paths and `..` escapes. */
  private inside(value: string): Inside | undefined {
    // `..x` is refused like `..` (the check below has always looked at the relative path's start).
    if (isPlain(value)) {
      return value.startsWith("..") ? undefined : { absolute: `${this.root}/${value}`, parts: value.split("/") };
    }
    if (isAbsolute(value)) return undefined;
    const absolute = resolve(this.root, value);
    if (!contains(this.root, absolute)) return undefined;
    return { absolute, parts: relative(this.root, absolute).split(sep) };
  }

  /**
   * Where `path` (inside the folder) really is. Real paths on both sides when a symlink is involved: a
   * flow folder may itself be a symlink (an installed flow), and what counts is that the script or
   * schema a flow runs is part of the folder that was reviewed and installed. Without a symlink
   * between the folder and the file, its real path is the folder's plus the same relative path, so it
   * is inside: one lstat per component, whose last one also says whether it is a file, instead of two
   * realpaths (about 13 lstats each here) and a stat, which were half of discovering 1,000 flows (bench P6).
   * Asked once per path and flow.
   */
  private look(value: string, viaListing: boolean): { inside?: Inside; facts?: PathFacts } {
    let seen = this.seen.get(value);
    if (!seen) {
      const inside = this.inside(value);
      seen = inside ? { inside, facts: this.walk(inside, viaListing) } : {};
      this.seen.set(value, seen);
    }
    return seen;
  }

  /**
   * `viaListing`: the path's folder is listed (a schema's, for its neighbours), and the listing also
   * says what the last part is, for one lstat less. The folders before it were just seen to be no
   * symlinks, so it is the folder listed.
   */
  private walk({ absolute, parts }: Inside, viaListing = false): PathFacts {
    let path = this.root;
    let last: Stats | undefined;
    for (let index = 0; index < parts.length; index += 1) {
      const listed = viaListing && index === parts.length - 1 ? this.list(path, last) : undefined;
      if (listed) {
        const type = listed.get(parts[index] as string);
        if (type === "symlink") return this.linkedFacts(absolute);
        return { linked: false, isFile: type === "file" }; // missing: reported as "does not exist"
      }
      path = `${path}${sep}${parts[index]}`;
      last = lstatSync(path, NO_THROW);
      if (!last) return { linked: false, isFile: false }; // missing: reported as "does not exist"
      if (last.isSymbolicLink()) return this.linkedFacts(absolute);
    }
    return { linked: false, isFile: last?.isFile() ?? false };
  }

  private linkedFacts(absolute: string): PathFacts {
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      return { linked: true, isFile: false }; // a dangling link: reported as "does not exist"
    }
    this.realRoot ??= realpathSync(this.root);
    if (!contains(this.realRoot, real)) return { escapesTo: real, linked: true, isFile: false };
    return { linked: true, isFile: isFile(absolute) };
  }

  /** The entries of `folder` by name, with their types; `stats`: the folder's lstat, when just taken. */
  private list(folder: string, stats?: Stats): Listing | null {
    let listing = this.listings.get(folder);
    if (listing === undefined) {
      listing = listFolder(folder, stats);
      this.listings.set(folder, listing);
    }
    return listing;
  }

  /**
   * The other `*.json` entries in the folder of a schema (what src/schema/payload-schema.ts registers
   * with it), sorted, each with whether it is a symlink.
   */
  private jsonSiblings(schema: Inside): { sibling: Inside; symlink: boolean }[] {
    const folder = dirname(schema.absolute);
    const name = schema.parts[schema.parts.length - 1];
    const up = schema.parts.slice(0, -1);
    const siblings: { sibling: Inside; symlink: boolean }[] = [];
    for (const [entry, type] of this.list(folder) ?? []) {
      if (!entry.endsWith(".json") || entry === name) continue;
      siblings.push({
        sibling: { absolute: `${folder}${sep}${entry}`, parts: [...up, entry] },
        symlink: type === "symlink",
      });
    }
    return siblings.sort((a, b) =>
      a.sibling.absolute < b.sibling.absolute ? -1 : a.sibling.absolute > b.sibling.absolute ? 1 : 0,
    );
  }

  /**
   * Problems with a step's script, schema and cwd paths, appended to `problems`; a script that does not
   * exist goes to `missingScripts` (the caller decides whether that is a problem or a warning).
   */
  check(
    step: FlowManifest["steps"][number],
    index: number,
    problems: DiscoveryProblem[],
    missingScripts: DiscoveryProblem[] = problems,
  ): void {
    const { manifestPath } = this;
    const at = `steps[${index}]`;
    const fileField = (field: string, value: string, what: string, missing = problems) => {
      const { inside, facts } = this.look(value, what === "schema");
      if (!inside) {
        problems.push({ path: manifestPath, field, message: `${what} "${value}" points outside the flow folder` });
      } else if (facts?.escapesTo) {
        const message = `${what} "${value}" is a symlink to ${facts.escapesTo}, outside the flow folder`;
        problems.push({ path: manifestPath, field, message });
      } else if (!facts?.isFile) {
        missing.push({ path: manifestPath, field, message: `${what} "${value}" does not exist` });
      }
      return inside && { inside, linked: facts?.linked ?? false };
    };
    fileField(`${at}.script`, step.script, "script", missingScripts);
    const schema =
      step.trigger.schema === undefined ? undefined : fileField(`${at}.trigger.schema`, step.trigger.schema, "schema");
    // The schema's `*.json` neighbours are loaded with it, so any of them can be `$ref`'d: they count as
    // schemas too. Below a folder chain without symlinks only a neighbour that is a symlink can lead out.
    if (schema) {
      for (const { sibling, symlink } of this.jsonSiblings(schema.inside)) {
        if (!schema.linked && !symlink) continue;
        const realTarget = this.walk(sibling).escapesTo;
        if (!realTarget) continue;
        const message = `${sibling.parts.join(sep)} (next to the schema, so its $refs can load it) is a symlink to ${realTarget}, outside the flow folder`;
        problems.push({ path: manifestPath, field: `${at}.trigger.schema`, message });
      }
    }
    if (step.cwd !== undefined) {
      const cwd = this.resolve(step.cwd);
      if (!isDirectory(cwd)) {
        const what = existsSync(cwd) ? "is not a folder" : "does not exist";
        problems.push({ path: manifestPath, field: `${at}.cwd`, message: `cwd "${step.cwd}" ${what}` });
      }
    }
  }
}
