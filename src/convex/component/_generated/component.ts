/* eslint-disable */
/**
 * Generated `ComponentApi` utility: the type of `components.codexFlows` in an app that mounts this
 * component. `npx convex codegen` spells each function out; written by hand, it is derived from
 * ./api.ts instead, so it cannot drift from the functions.
 * @module
 */

import type { FunctionReference } from "convex/server";
import type { api } from "./api.js";

type AsComponent<T, Name extends string | undefined> = {
  [K in keyof T]: T[K] extends FunctionReference<infer Type, "public", infer Args, infer Returns>
    ? FunctionReference<Type, "internal", Args, Returns, Name>
    : AsComponent<T[K], Name>;
};

/** The functions an app reaches through `components.<name>` once it has `app.use(codexFlows)`. */
export type ComponentApi<Name extends string | undefined = string | undefined> = AsComponent<typeof api, Name>;
