#!/usr/bin/env node
// The `codex-flows` command: runs the CLI bundle (cli-main.cjs) from a V8 code cache kept per command.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import Module, { createRequire } from "node:module";
import { join } from "node:path";
import { Script } from "node:vm";
import { cacheDir } from "./core/cache-dir.js";
import { IMPORTER } from "./core/import-module.js";

/*
 * Node 20 has no compile cache (module.enableCompileCache is Node 22), so each start parses the
 * 600 kB bundle and compiles every function it calls (bench P2: about a fifth of the CLI's own CPU
 * for `codex-flows run`). Here the bundle is compiled through vm.Script with the bytecode V8 saved
 * last time. The cache is written at exit, after the command ran, so it holds the functions that
 * command compiled; hence one file per command. V8 checks the source hash and its own version and
 * flags and rejects a file that does not fit, which is then rewritten. Anything that goes wrong here
 * falls back to a plain require: the cache only ever costs a few milliseconds, never a failure.
 */
const bundle = join(__dirname, "cli-main.cjs");

function cacheFile(folder: string): { file: string; prefix: string } {
  const { size, mtimeMs } = statSync(bundle);
  const install = createHash("sha256").update(bundle).digest("hex").slice(0, 12);
  const command = /^[a-z][a-z-]{0,19}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
  const prefix = `cli-${install}-${command}-`;
  const version = `${process.version}-${process.arch}-${size}-${Math.floor(mtimeMs)}`;
  return { file: join(folder, "code", `${prefix}${version}.v8cache`), prefix };
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Replaces this command's cache (and its stale versions) with what V8 compiled during this run. */
function writeCache(script: Script, file: string, prefix: string): void {
  try {
    const folder = join(file, "..");
    mkdirSync(folder, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, file);
    for (const name of readdirSync(folder)) {
      if (name.startsWith(prefix) && join(folder, name) !== file && name.endsWith(".v8cache")) {
        rmSync(join(folder, name), { force: true });
      }
    }
  } catch {
    // An unwritable cache folder only means the next start compiles again.
  }
}

function runCached(folder: string): boolean {
  let script: Script;
  let file: string;
  let prefix: string;
  try {
    ({ file, prefix } = cacheFile(folder));
    const cachedData = readCache(file);
    const source = readFileSync(bundle, "utf8").replace(/^#!.*/, "");
    script = new Script(Module.wrap(source), { filename: bundle, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) {
      process.once("exit", () => writeCache(script, file, prefix));
    }
  } catch {
    return false;
  }
  const main = new Module(bundle, module);
  main.filename = bundle;
  main.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(__dirname);
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(main.exports, main.exports, createRequire(bundle), main, bundle, __dirname);
  main.loaded = true;
  return true;
}

// Code compiled from a cache cannot import(): the bundle imports through this (see core/import-module.ts).
(globalThis as Record<symbol, unknown>)[IMPORTER] = (specifier: string) => import(specifier);

const folder = cacheDir();
if (folder === undefined || !runCached(folder)) require(bundle);
