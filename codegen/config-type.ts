// The type of `flow.config`: a JSON Schema built from the types of the values in flow.toml's [config] table.

type Schema = Record<string, unknown>;

/**
 * The schema of one TOML value. Values are typed by kind, not by literal (`greeting = "Hello"` gives
 * `string`), because steps read config to branch on it and a changed value should not change the types.
 * TOML dates reach the step as JSON, so they are ISO 8601 strings there.
 */
function schemaOf(value: unknown): Schema {
  if (typeof value === "string") return { type: "string" };
  if (typeof value === "number" || typeof value === "bigint") return { type: "number" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (value instanceof Date) return { type: "string", description: "A TOML date: an ISO 8601 string in the step." };
  if (Array.isArray(value)) return { type: "array", items: itemsOf(value) };
  if (typeof value === "object" && value !== null) return tableSchema(value as Record<string, unknown>);
  return { tsType: "unknown" };
}

/** One schema for every distinct kind of item; an empty array gives `unknown[]`. */
function itemsOf(values: unknown[]): Schema {
  const distinct = new Map<string, Schema>();
  for (const value of values) {
    const schema = schemaOf(value);
    distinct.set(JSON.stringify(schema), schema);
  }
  const schemas = [...distinct.values()];
  if (schemas.length === 0) return { tsType: "unknown" };
  return schemas.length === 1 ? (schemas[0] as Schema) : { anyOf: schemas };
}

function tableSchema(table: Record<string, unknown>, description?: string): Schema {
  const keys = Object.keys(table);
  return {
    type: "object",
    ...(description === undefined ? {} : { description }),
    properties: Object.fromEntries(keys.map((key) => [key, schemaOf(table[key])])),
    required: keys,
    additionalProperties: false,
  };
}

/** The schema for a flow's `[config]` table, titled `Config`. */
export function configSchema(flowName: string, config: Record<string, unknown>): Schema {
  return {
    title: "Config",
    ...tableSchema(config, `flow.config of flow "${flowName}": the [config] table of its flow.toml.`),
  };
}
