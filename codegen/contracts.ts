// codex-flows' own contract types (src/core/contracts.gen.ts) from schemas/*.schema.json, the files ajv validates with.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { GeneratedFile } from "./flow-file.js";
import { GENERATED_HEADER } from "./flow-file.js";
import { compileTypes, fileRef } from "./payload-types.js";
import { SchemaSource } from "./schema-source.js";

export const CONTRACTS_FILE = join("src", "core", "contracts.gen.ts");

/** True in the codex-flows repository itself: its package.json is named codex-flows and it has schemas/. */
export function hasContracts(cwd: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(cwd, "package.json"), "utf8")) as { name?: unknown };
    return pkg.name === "codex-flows" && existsSync(join(cwd, "schemas"));
  } catch {
    return false;
  }
}

/**
 * Generates `src/core/contracts.gen.ts`: one type per `schemas/*.schema.json` (named by its title), and a
 * `Contracts` interface naming each by file. src/core/types.ts builds the engine's types on these.
 */
export async function generateContracts(cwd: string): Promise<GeneratedFile> {
  const dir = join(cwd, "schemas");
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".schema.json"))
    .sort();
  const root = {
    title: "Contracts",
    description: "Each contract in schemas/, by file name.",
    type: "object",
    properties: Object.fromEntries(
      files.map((name) => [name.replace(/\.schema\.json$/, ""), fileRef(join(dir, name))]),
    ),
    required: files.map((name) => name.replace(/\.schema\.json$/, "")),
    additionalProperties: false,
  };
  const code = await compileTypes(root, "Contracts", new SchemaSource(), dir);
  const content = [
    GENERATED_HEADER,
    "// Source: schemas/*.schema.json (also the runtime validator's input); run `npx codex-flows codegen` after changing them.",
    "",
    code,
  ].join("\n");
  return { path: join(cwd, CONTRACTS_FILE), content };
}
