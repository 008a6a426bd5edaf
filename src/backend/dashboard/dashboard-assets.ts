// The dashboard's browser files (the package's dashboard/ folder) and the ES modules of preact and htm from node_modules.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  html: "text/html; charset=utf-8",
  svg: "image/svg+xml",
};

/** What the page's import map names, and where each module is: resolved like any dependency, so it is the installed version. */
const VENDOR: Record<string, { specifier: string; file: (resolved: string) => string }> = {
  "preact.mjs": { specifier: "preact", file: (resolved) => resolved },
  "hooks.mjs": { specifier: "preact/hooks", file: (resolved) => resolved },
  // htm's `require` entry is CommonJS; its ES module sits beside it.
  "htm.mjs": { specifier: "htm", file: (resolved) => join(dirname(resolved), "htm.module.js") },
};

/** The import map: bare specifiers the dashboard's modules use, and the vendor URLs that serve them. */
export const IMPORT_MAP = {
  imports: {
    preact: "/assets/vendor/preact.mjs",
    "preact/hooks": "/assets/vendor/hooks.mjs",
    htm: "/assets/vendor/htm.mjs",
  },
};

const NAME = /^[a-z0-9][a-z0-9-]*\.(js|css|svg|html)$/;

/**
 * The dashboard/ folder of this package. The code runs from dist/ (the built CLI, one file) or from
 * src/backend/dashboard/ (tests importing the source), so it is looked for upwards from here.
 */
export function dashboardFolder(from = dirname(fileURLToPath(import.meta.url))): string {
  let folder = from;
  while (true) {
    const candidate = join(folder, "dashboard");
    if (existsSync(join(candidate, "index.html")) && existsSync(join(folder, "package.json"))) return candidate;
    const parent = dirname(folder);
    if (parent === folder) {
      throw new Error(`the dashboard's files (dashboard/index.html) are missing from the package above ${from}`);
    }
    folder = parent;
  }
}

function asset(body: Buffer, name: string): Asset {
  const extension = name.slice(name.lastIndexOf(".") + 1);
  return {
    body,
    type: TYPES[extension] ?? "application/octet-stream",
    etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`,
  };
}

/**
 * Files are read on their first request and kept: the whole set is about 52 kB, and a service that
 * nobody opens in a browser never reads them. Only names listed in the folder (or the vendor table)
 * are served, so no path from a request ever reaches the file system.
 */
export class DashboardAssets {
  private readonly cache = new Map<string, Asset>();
  private names?: Set<string>;
  private readonly require = createRequire(import.meta.url);

  constructor(private readonly folder = dashboardFolder()) {}

  /** `name` is the part after /assets/, e.g. "app.js" or "vendor/preact.mjs"; undefined when there is no such file. */
  get(name: string): Asset | undefined {
    const cached = this.cache.get(name);
    if (cached) return cached;
    const found = this.read(name);
    if (found) this.cache.set(name, found);
    return found;
  }

  private read(name: string): Asset | undefined {
    if (name.startsWith("vendor/")) {
      const key = name.slice("vendor/".length);
      // Own keys only: `constructor` or `__proto__` must be a 404, not a crash.
      const vendor = Object.hasOwn(VENDOR, key) ? VENDOR[key as keyof typeof VENDOR] : undefined;
      if (!vendor) return undefined;
      const file = vendor.file(this.require.resolve(vendor.specifier));
      return asset(readFileSync(file), name);
    }
    this.names ??= new Set(readdirSync(this.folder).filter((entry) => NAME.test(entry)));
    if (!this.names.has(name)) return undefined;
    return asset(readFileSync(join(this.folder, name)), name);
  }
}
