// Types of bench/big-schema.mjs, for the tests that import it.
export function bigSchema(options?: { events?: number; actions?: number; fields?: number }): Record<string, unknown>;
export function bigPayload(event?: number, action?: number, options?: { fields?: number }): Record<string, unknown>;
