// The project-level generated file: FlowEventMap, event type -> payload type, for code that fires events.
import { join, relative, sep } from "node:path";
import type { FlowDefinition } from "../src/core/types.js";
import { FLOW_FILE, GENERATED_HEADER, type GeneratedFile, stepTypeNames } from "./flow-file.js";
import { camelCase, propertyKey, uniqueNames } from "./names.js";

/** Where the map goes, relative to the project folder. */
export const EVENT_MAP_FILE = join("flows", "flow-events.gen.ts");

/** `./hello/flow.gen.js` or `../.codex/flows/x/flow.gen.js`: a `.js` specifier works under NodeNext and Bundler. */
function importPath(from: string, flowRoot: string): string {
  const path = relative(from, join(flowRoot, FLOW_FILE.replace(/\.ts$/, ".js")))
    .split(sep)
    .join("/");
  return path.startsWith(".") ? path : `./${path}`;
}

/**
 * Generates `flows/flow-events.gen.ts` from the discovered flows' manifests. It refers to each step's
 * `<Step>Payload` alias, whose name depends on the step name only, so a flow whose schemas fail to
 * generate still keeps its events here. An event type several steps trigger on gets the union of their
 * payloads: firing it with any of them runs the steps whose schema accepts it.
 */
export function generateEventMap(cwd: string, flows: FlowDefinition[]): GeneratedFile {
  const path = join(cwd, EVENT_MAP_FILE);
  const from = join(cwd, "flows");
  const namespaces = uniqueNames(flows.map((flow) => camelCase(flow.name)));
  const payloads = new Map<string, string[]>();
  const imports: string[] = [];

  flows.forEach((flow, index) => {
    const namespace = namespaces[index] as string;
    imports.push(`import type * as ${namespace} from ${JSON.stringify(importPath(from, flow.root))};`);
    const names = stepTypeNames(flow);
    for (const step of flow.steps) {
      const members = payloads.get(step.trigger.type) ?? [];
      const member = `${namespace}.${names.get(step.name)?.payload}`;
      if (!members.includes(member)) members.push(member);
      payloads.set(step.trigger.type, members);
    }
  });

  const entries = [...payloads.keys()]
    .sort()
    .map((type) => `  ${propertyKey(type)}: ${(payloads.get(type) as string[]).join(" | ")};`);
  const content = [
    GENERATED_HEADER,
    "// Source: the flow.toml of every discovered flow; run `npx codex-flows codegen` after changing them.",
    ...imports,
    ...(imports.length > 0 ? [""] : []),
    "/** Payload type of every event type a discovered step runs on. Pass it to `createFire<FlowEventMap>()`. */",
    entries.length > 0
      ? `export interface FlowEventMap {\n${entries.join("\n")}\n}`
      : "export interface FlowEventMap {}",
    "",
    "/** Every event type a discovered step runs on. */",
    "export type FlowEventType = keyof FlowEventMap;",
    "",
  ].join("\n");
  return { path, content };
}
