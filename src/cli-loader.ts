#!/usr/bin/env node
// The `codex-flows` command: runs the CLI bundle (cli-main.cjs, or cli-run.cjs for `run`) from a V8 code
// cache kept per command.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
// Named imports: a default import would copy every property of node:module at start (esbuild's __toESM).
import { createRequire, Module } from "node:module";
import { join } from "node:path";
import { Script } from "node:vm";
import { cacheDir } from "./core/cache-dir.js";
import { IMPORTER } from "./core/import-module.js";

/*
 * Node 20 has no compile cache (module.enableCompileCache is Node 22), so each start parses the
 * 600 kB bundle and compiles every function it calls (bench P2: about a fifth of the CLI's own CPU
 * for `codex-flows run`). Here the bundle is compiled through vm.Script with the bytecode V8 saved
 * last time. The cache is written at exit, after the command ran, so it holds the functions that
 * command compiled; hence one file per command. V8 checks the source's length and its own version
 * and flags and rejects a file that does not fit, which is then rewritten. Anything that goes wrong here
 * falls back to a plain require: the cache only ever costs a few milliseconds, never a failure.
 */
/*
 * `run` starts a CI step, so its start matters most (bench P2): it has a bundle of its own, built from
 * src/cli-run.ts with only that command, half the code to parse or deserialize.
 */
const bundle = join(__dirname, process.argv[2] === "run" ? "cli-run.cjs" : "cli-main.cjs");

/**
 * Keyed by the bundle's content, not its size or mtime: V8 checks only the source's length, and
 * installers that normalise mtimes would otherwise run an old release's bytecode for a new one of the
 * same size. Hashing 600 kB costs about a millisecond.
 */
function cacheFile(folder: string, source: string): { file: string; prefix: string } {
  const install = createHash("sha256").update(bundle).digest("hex").slice(0, 12);
  const content = createHash("sha256").update(source).digest("hex").slice(0, 16);
  const command = /^[a-z][a-z-]{0,19}$/.test(process.argv[2] ?? "") ? process.argv[2] : "other";
  const prefix = `cli-${install}-${command}-`;
  return { file: join(folder, `${prefix}${process.version}-${process.arch}-${content}.v8cache`), prefix };
}

/**
 * The cached bytecode is executed: only a folder of this user's that nobody else can write is used
 * (created 0700), so another account cannot plant code through a shared or inherited cache path.
 */
function privateFolder(base: string): string | undefined {
  const folder = join(base, "code");
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const { uid, mode } = statSync(folder);
  const owner = typeof process.geteuid === "function" ? process.geteuid() : uid;
  return uid === owner && (mode & 0o022) === 0 ? folder : undefined;
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
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
    renameSync(temp, file);
    // Other versions of this command's cache (an older bundle, another Node) are of no more use.
    const folder = join(file, "..");
    for (const name of readdirSync(folder)) {
      if (name.startsWith(prefix) && join(folder, name) !== file) rmSync(join(folder, name), { force: true });
    }
  } catch {
    // An unwritable cache folder only means the next start compiles again.
    rmSync(temp, { force: true });
  }
}

function runCached(base: string): boolean {
  let script: Script;
  try {
    const folder = privateFolder(base);
    if (folder === undefined) return false;
    const source = readFileSync(bundle, "utf8").replace(/^#!.*/, "");
    const { file, prefix } = cacheFile(folder, source);
    const cachedData = readCache(file);
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
