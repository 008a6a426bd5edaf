// Running json-schema-to-typescript with codex-flows' settings; loaded lazily, only by the codegen command.
import { pathToFileURL } from "node:url";
import { FlowConfigError, FlowError } from "../src/core/errors.js";
import { importModule } from "../src/core/import-module.js";
import type { SchemaSource } from "./schema-source.js";

/** The library pulls in prettier, which costs hundreds of milliseconds: load it on first use only. */
let library: Promise<typeof import("json-schema-to-typescript")> | undefined;
let utils: Promise<typeof import("json-schema-to-typescript/dist/src/utils.js")> | undefined;

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

/** Marks the schema allowed to take a reserved name (the StepPayloads root); the generator ignores `x-` keys. */
export const OWNS = "x-codex-flows-owns";
/** Set on every schema file's root by SchemaSource, so naming can tell a step's own payload schema. */
export const FILE = "x-codex-flows-file";

/**
 * Names a flow.gen.ts declares itself (`reserved`), and for each step's `<Step>Payload` the schema file
 * whose own type may take that name (`owners`): that type then is the step's payload, declared once.
 */
export interface Naming {
  reserved: Set<string>;
  owners: Map<string, string>;
}

/**
 * The generator's `customName`: a schema type that would take a reserved name gets `Schema` appended
 * (`Config` -> `ConfigSchema`), so a title can never clash with a generated name, by construction. The
 * generator still numbers names two schemas share (`ConfigSchema1`). `toSafeString` is how it turns a
 * title into a name, so the comparison sees the name it would really give.
 */
function customName(naming: Naming, toSafeString: (text: string) => string) {
  return (schema: Record<string, unknown>, keyName: string | undefined): string | undefined => {
    const natural = [schema.title, schema.$id, keyName].find((value) => typeof value === "string" && value !== "");
    if (typeof natural !== "string") return undefined;
    const name = toSafeString(natural);
    if (!naming.reserved.has(name) || schema[OWNS] === name) return undefined;
    if (naming.owners.get(name) !== undefined && naming.owners.get(name) === schema[FILE]) return undefined;
    return `${name}Schema`;
  };
}

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
  naming?: Naming,
): Promise<string> {
  library ??= importModule("json-schema-to-typescript");
  utils ??= importModule("json-schema-to-typescript/dist/src/utils.js");
  const { compile } = await library;
  const { toSafeString } = await utils;
  try {
    const output = await compile(schema, name, {
      ...OPTIONS,
      ...(naming ? { customName: customName(naming, toSafeString) } : {}),
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
