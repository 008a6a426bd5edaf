// Putting generated files on disk, or (--check) only comparing them with what is there.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { GeneratedFile } from "./flow-file.js";

export interface WriteOutcome {
  /** Files written because they were missing or different (never in check mode). */
  written: string[];
  /** Files missing or different from what codegen generates (check mode only). */
  stale: string[];
  unchanged: string[];
}

function currentContent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** Replaces the file in one rename, so a type checker running meanwhile never reads half a file. */
function writeAtomically(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/**
 * Writes each file whose content differs (untouched files keep their mtime, so watchers stay quiet).
 * With `check`, writes nothing and lists the differing files as stale instead.
 */
export function applyFiles(files: GeneratedFile[], check: boolean): WriteOutcome {
  const outcome: WriteOutcome = { written: [], stale: [], unchanged: [] };
  for (const file of files) {
    if (currentContent(file.path) === file.content) {
      outcome.unchanged.push(file.path);
    } else if (check) {
      outcome.stale.push(file.path);
    } else {
      writeAtomically(file.path, file.content);
      outcome.written.push(file.path);
    }
  }
  return outcome;
}
