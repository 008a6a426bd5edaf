// Loading better-sqlite3 lazily (it is a native module) and caching prepared statements per connection.
import type BetterSqlite3 from "better-sqlite3";
import { BackendError } from "../core/errors.js";
import { importModule } from "../core/import-module.js";

export type Database = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement;

type DatabaseConstructor = typeof BetterSqlite3;

const FIX_HINT =
  "run `npm rebuild better-sqlite3` in the folder codex-flows is installed in (npm 11 skips dependency install scripts unless allowed: add better-sqlite3 to allowScripts, or install with --allow-scripts)";

let constructorPromise: Promise<DatabaseConstructor> | undefined;

async function loadConstructor(): Promise<DatabaseConstructor> {
  try {
    const module = await importModule<{ default: DatabaseConstructor }>("better-sqlite3");
    return module.default;
  } catch (error) {
    throw new BackendError(`the SQLite module better-sqlite3 could not be loaded (${(error as Error).message})`, {
      hint: FIX_HINT,
      cause: error,
    });
  }
}

/** Opens (creating) a SQLite file. The native binding loads on first open, so its failure is reported here too. */
export async function openDatabase(path: string, options: BetterSqlite3.Options = {}): Promise<Database> {
  constructorPromise ??= loadConstructor();
  const Database = await constructorPromise;
  try {
    return new Database(path, options);
  } catch (error) {
    const message = (error as Error).message;
    if (/bindings|\.node|NODE_MODULE_VERSION|ERR_DLOPEN/i.test(message)) {
      throw new BackendError(`the SQLite native module could not be loaded (${message})`, {
        hint: FIX_HINT,
        cause: error,
      });
    }
    throw new BackendError(`cannot open the SQLite database (${message})`, { where: path, cause: error });
  }
}

const statements = new WeakMap<Database, Map<string, Statement>>();

/** A prepared statement, compiled once per connection: preparing costs more than most of our queries. */
export function statement(db: Database, sql: string): Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let prepared = cache.get(sql);
  if (!prepared) {
    prepared = db.prepare(sql);
    cache.set(sql, prepared);
  }
  return prepared;
}

const SYNC_LEVELS = { OFF: 0, NORMAL: 1, FULL: 2, EXTRA: 3 } as const;

/**
 * Runs `fn` with another `synchronous` level. In WAL mode NORMAL skips the fsync at commit: the
 * commit survives a crash of the process but not of the machine, until the next FULL commit or
 * checkpoint syncs the log (which holds everything before it). Worker bookkeeping uses it; accepting
 * an event never does.
 */
export function withSynchronous<T>(db: Database, level: keyof typeof SYNC_LEVELS, fn: () => T): T {
  const before = statement(db, "PRAGMA synchronous").pluck().get() as number;
  if (before === SYNC_LEVELS[level]) return fn();
  statement(db, `PRAGMA synchronous = ${level}`).run();
  try {
    return fn();
  } finally {
    statement(db, `PRAGMA synchronous = ${before}`).run();
  }
}
