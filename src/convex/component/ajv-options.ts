// Ajv's options for payload schemas, without src/schema/json-schema.ts's node:module loader (Convex bundles no Node built-ins).

/** The same options as AJV_OPTIONS in src/schema/json-schema.ts; a test keeps the two equal. */
export const AJV_OPTIONS_PURE = { allErrors: true, strict: false } as const;
