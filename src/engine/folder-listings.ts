// Folder listings with each entry's type, kept between discoveries while the folder's stat says it did not change.
import { readdirSync, type Stats } from "node:fs";

export type EntryType = "file" | "symlink" | "other";
export type Listing = ReadonlyMap<string, EntryType>;

/**
 * How long after its last change a folder's listing may be kept. Adding, removing or renaming an
 * entry sets the folder's mtime and ctime, but to the file system's clock granule (a kernel tick on
 * ext4, 2 s on FAT): a change in the same granule as the one before the listing would leave both as
 * they were. So, as git does for its index, a listing is only kept when it was read more than a
 * granule after the folder last changed; a change after it then always shows as a new time.
 */
const SETTLED_MS = 2_000;

interface Kept {
  dev: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  listing: Listing;
}

const kept = new Map<string, Kept>();

const WITH_TYPES = { withFileTypes: true } as const;

function read(folder: string): Listing {
  const listing = new Map<string, EntryType>();
  // Node lstats an entry whose type the listing lacks (DT_UNKNOWN), so the types are always known.
  for (const entry of readdirSync(folder, WITH_TYPES)) {
    listing.set(entry.name, entry.isSymbolicLink() ? "symlink" : entry.isFile() ? "file" : "other");
  }
  return listing;
}

/**
 * The entries of `folder`, or null when it cannot be listed. `stats`, the folder's own stat taken
 * just before (it must not be a symlink's), lets an earlier listing be reused while the folder is
 * unchanged: listing every schema folder was a third of the file-system time of discovering 1,000
 * flows (bench P6), and a stat of the folder is made anyway on the way to the schema.
 */
export function listFolder(folder: string, stats?: Stats): Listing | null {
  const earlier = stats && kept.get(folder);
  if (
    earlier &&
    stats &&
    earlier.ino === stats.ino &&
    earlier.dev === stats.dev &&
    earlier.mtimeMs === stats.mtimeMs &&
    earlier.ctimeMs === stats.ctimeMs
  ) {
    return earlier.listing;
  }
  const listedAt = Date.now();
  let listing: Listing;
  try {
    listing = read(folder);
  } catch {
    kept.delete(folder);
    return null;
  }
  if (stats?.isDirectory() && listedAt - Math.max(stats.mtimeMs, stats.ctimeMs) > SETTLED_MS) {
    const { dev, ino, mtimeMs, ctimeMs } = stats;
    kept.set(folder, { dev, ino, mtimeMs, ctimeMs, listing });
  } else {
    kept.delete(folder);
  }
  return listing;
}
