// The files `codex-flows init` writes: the smallest flow that passes `check`, `codegen --check` and `fire`.

/** `my-flow` -> `MyFlow`, for the payload schema's title (and so the generated type's name). */
function pascal(name: string): string {
  return name
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join("");
}

/** The step's name; codegen derives `HandlePayload`, `HandleEvent` and `HandleContext` from it. */
export const STEP = "handle";
export const EXAMPLE_EVENT = "events/example.json";

/** Relative path -> content, for a flow called `name` (already checked against the manifest's name pattern). */
export function flowFiles(name: string): Record<string, string> {
  const type = `${name}.requested`;
  // `<Name>Request`: never one of the names codegen derives for the step (`HandlePayload`, ...).
  const title = `${pascal(name) || "Flow"}Request`;
  const manifest = [
    `name = "${name}"`,
    "version = 1",
    'description = "Scaffolded by codex-flows init: greets whoever the event names. Make it yours."',
    "",
    "# Handed to every step as flow.config.",
    "[config]",
    'greeting = "Hello"',
    "",
    "[[steps]]",
    `name = "${STEP}"`,
    'runner = "bun"',
    `script = "exec/${STEP}.ts"`,
    "timeout_ms = 60000 # the step's process tree is killed after this",
    "",
    "# The step runs on events of this type whose payload fits the schema.",
    "[steps.trigger]",
    `type = "${type}"`,
    'schema = "schemas/request.schema.json"',
    "",
  ].join("\n");
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title,
    description: `The payload of a "${type}" event.`,
    type: "object",
    required: ["name"],
    properties: { name: { type: "string", minLength: 1, description: "Who to greet." } },
    additionalProperties: false,
  };
  const script = [
    `// Step "${STEP}" of flow "${name}": runs on "${type}" events (scaffolded by \`codex-flows init\`).`,
    'import { configValue, defineStep } from "codex-flows/step";',
    `import type { ${pascal(STEP)}Context } from "../flow.gen.js";`,
    "",
    "// After changing the schema or flow.toml, run `npx codex-flows codegen` to refresh flow.gen.ts.",
    `await defineStep<${pascal(STEP)}Context>((ctx) => {`,
    "  const { name } = ctx.flow.event.payload; // typed from schemas/request.schema.json",
    `  const message = \`\${configValue(ctx, "greeting", "Hello")}, \${name}!\`;`,
    "  console.log(message);",
    '  return { status: "completed", message };',
    "});",
    "",
  ].join("\n");
  const event = { id: `${name}-example-1`, type, source: "codex-flows init", payload: { name: "world" } };
  return {
    "flow.toml": manifest,
    "schemas/request.schema.json": `${JSON.stringify(schema, null, 2)}\n`,
    [`exec/${STEP}.ts`]: script,
    [EXAMPLE_EVENT]: `${JSON.stringify(event, null, 2)}\n`,
  };
}
