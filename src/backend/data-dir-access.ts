// Making sure the data dir can be written before anything is opened in it, with a message that names the folder.
import { accessSync, constants, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { BackendError } from "../core/errors.js";
import { EVENTS_FOLDER } from "../store/event-files.js";

const REASONS: Record<string, string> = {
  EROFS: "it is on a read-only file system",
  EACCES: "this user has no write permission there",
  EPERM: "this user has no write permission there",
  ENOSPC: "its disk is full",
};

/** The folder that stops `path` from being created or written: itself if it exists, else its nearest existing ancestor. */
function blockingFolder(path: string): string {
  let folder = path;
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

function writeProblem(folder: string): string | undefined {
  try {
    accessSync(folder, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    return `${REASONS[code] ?? "it cannot be written"} (${code || (error as Error).message})`;
  }
}

function notWritable(dataDir: string, folder: string, problem: string, cause?: unknown): BackendError {
  const what =
    folder === dataDir
      ? `the data dir ${dataDir} is not writable`
      : `cannot create the data dir ${dataDir}: ${folder} is not writable`;
  return new BackendError(`${what}: ${problem}`, {
    where: folder,
    hint: "point --data-dir (or CODEX_FLOW_BACKEND_DATA_DIR) at a folder this user can write, or fix the folder's permissions or mount",
    cause,
  });
}

/**
 * Creates `<dataDir>/events` and checks that the data dir and that folder can be written. Node's
 * recursive mkdir reports a read-only file system as ENOENT, which sends people looking for a
 * missing folder; this names the folder that cannot be written, and why.
 */
export function prepareDataDir(dataDir: string): void {
  const events = join(dataDir, EVENTS_FOLDER);
  try {
    mkdirSync(events, { recursive: true });
  } catch (error) {
    const folder = blockingFolder(events);
    const problem = writeProblem(folder) ?? `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
    throw notWritable(dataDir, folder, problem, error);
  }
  for (const folder of [dataDir, events]) {
    const problem = writeProblem(folder);
    if (problem) throw notWritable(dataDir, folder, problem);
  }
}
