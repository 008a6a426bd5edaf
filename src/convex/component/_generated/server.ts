/* eslint-disable */
/**
 * Generated utilities for implementing server-side Convex query and mutation functions.
 *
 * Written by hand from the template `npx convex codegen` emits for a component.
 * @module
 */

import type {
  ActionBuilder,
  GenericActionCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
  GenericMutationCtx,
  GenericQueryCtx,
  MutationBuilder,
  QueryBuilder,
} from "convex/server";
import {
  actionGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
  mutationGeneric,
  queryGeneric,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

/** Define a query in this component's public API (callable by the app that mounts it). */
export const query: QueryBuilder<DataModel, "public"> = queryGeneric;
/** Define a query only other functions of this component can call. */
export const internalQuery: QueryBuilder<DataModel, "internal"> = internalQueryGeneric;
/** Define a mutation in this component's public API. */
export const mutation: MutationBuilder<DataModel, "public"> = mutationGeneric;
/** Define a mutation only other functions of this component can call. */
export const internalMutation: MutationBuilder<DataModel, "internal"> = internalMutationGeneric;
/** Define an action in this component's public API. */
export const action: ActionBuilder<DataModel, "public"> = actionGeneric;
/** Define an action only other functions of this component can call. */
export const internalAction: ActionBuilder<DataModel, "internal"> = internalActionGeneric;

/** The services a query gets. */
export type QueryCtx = GenericQueryCtx<DataModel>;
/** The services a mutation gets. */
export type MutationCtx = GenericMutationCtx<DataModel>;
/** The services an action gets. */
export type ActionCtx = GenericActionCtx<DataModel>;
/** A reader of this component's tables. */
export type DatabaseReader = GenericDatabaseReader<DataModel>;
/** A writer of this component's tables. */
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;
