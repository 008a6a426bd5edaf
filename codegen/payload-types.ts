// Running json-schema-to-typescript with codex-flows' settings; loaded lazily, only by the codegen command.
import { pathToFileURL } from "node:url";
import { FlowConfigError, FlowError } from "../src/core/errors.js";
import type { SchemaSource } from "./schema-source.js";

/** The library pulls in prettier, which costs hundreds of milliseconds: load it on first use only. */
let library: Promise<typeof import("json-schema-to-typescript")> | undefined;

/**
 * Generation settings, fixed so the output depends on the schemas alone:
 * - objects without `additionalProperties` get no index signature, so reading a field the schema does not
 *   declare is a type error (write `"additionalProperties": true` to type extra fields as `unknown`);
 * - `minItems`/`maxItems` keep plain arrays instead of long tuple unions;
 * - formatting is prettier's with a fixed style, so the output never depends on a user's prettier config.
 */
const OPTIONS = {
  additionalProperties: false,
  bannerComment: "",
  declareExternallyReferenced: true,
  enableConstEnums: false,
  format: true,
  ignoreMinAndMaxItems: true,
  strictIndexSignatures: false,
  unknownAny: true,
  unreachableDefinitions: false,
  style: {
    bracketSpacing: true,
    printWidth: 120,
    semi: true,
    singleQuote: false,
    tabWidth: 2,
    trailingComma: "all" as const,
    useTabs: false,
  },
};

/** A schema property that refers to a schema file, as the root of a combined compile. */
export function fileRef(path: string): Record<string, unknown> {
  return { $ref: pathToFileURL(path).href };
}

/**
 * TypeScript for `schema` (its refs read through `source`), the root type named `name` unless it has a
 * title. `where` names the file or flow in errors.
 */
export async function compileTypes(
  schema: Record<string, unknown>,
  name: string,
  source: SchemaSource,
  where: string,
): Promise<string> {
  library ??= import("json-schema-to-typescript");
  const { compile } = await library;
  try {
    const output = await compile(schema, name, {
      ...OPTIONS,
      $refOptions: { resolve: { http: false, file: false, flows: source.resolver() } },
    });
    return `${output.trimEnd()}\n`;
  } catch (error) {
    throw asConfigError(error, where);
  }
}

/** The library wraps resolver errors; dig out ours (which name the schema file) or name `where`. */
function asConfigError(error: unknown, where: string): FlowError {
  for (let cause: unknown = error; cause; cause = (cause as { cause?: unknown }).cause) {
    if (cause instanceof FlowError) return cause;
    const inner = (cause as { originalError?: unknown }).originalError;
    if (inner instanceof FlowError) return inner;
  }
  const message = (error as Error)?.message || String(error);
  return new FlowConfigError(`cannot generate types: ${message.split("\n")[0]}`, { where, cause: error });
}

/** Names of the types a generated chunk declares (`export interface X`, `export type X`, `export enum X`). */
export function declaredNames(code: string): string[] {
  return [...code.matchAll(/^export (?:declare )?(?:const )?(?:interface|type|enum) ([A-Za-z_$][\w$]*)/gm)].map(
    (match) => match[1] as string,
  );
}
