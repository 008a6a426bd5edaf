// import() of a module outside the bundle (an npm package, a runner plugin), through the CLI loader when it runs us.

type Importer = (specifier: string) => Promise<unknown>;

/** Where src/cli-loader.ts puts its importer. */
export const IMPORTER = Symbol.for("codex-flows.import-module");

/**
 * The CLI runs its bundle from a V8 code cache (src/cli-loader.ts), and code compiled from that cache
 * loses what import() needs (Node 20: "A dynamic import callback was not specified"), so the bundle
 * imports through a function the loader, a plain module, defines. The loader sits beside the bundle:
 * bare names resolve from the same node_modules either way. Elsewhere (the library) this is import().
 */
export function importModule<T>(specifier: string): Promise<T> {
  const importer = (globalThis as { [IMPORTER]?: Importer })[IMPORTER];
  return (importer ? importer(specifier) : import(specifier)) as Promise<T>;
}
