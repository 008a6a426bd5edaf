// `codex-flows init [name]`: scaffold flows/<name> and generate its types, so it passes check and fires as written.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../core/errors.js";
import { discoverFlows } from "../engine/discover.js";
import { EXIT_OK, EXIT_USAGE } from "../engine/exit-code.js";
import { formatProblem, shortPath } from "./format.js";
import { EXAMPLE_EVENT, flowFiles } from "./init-template.js";

export interface InitOptions {
  cwd: string;
  name?: string;
  json?: boolean;
}

export const DEFAULT_FLOW_NAME = "my-flow";
/** The manifest's own rule for flow names (schemas/flow.schema.json). */
const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]*$/;

/** Whether `import "codex-flows/step"` can resolve from `dir`: a node_modules/codex-flows at or above it. */
function packageInstalled(dir: string): boolean {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, "node_modules", "codex-flows", "package.json"))) return true;
    if (dirname(at) === at) return false;
  }
}

export async function initCommand(options: InitOptions): Promise<number> {
  const name = options.name ?? DEFAULT_FLOW_NAME;
  if (!NAME_PATTERN.test(name)) {
    throw new UsageError(`"${name}" is not a valid flow name`, {
      hint: "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit",
    });
  }
  const root = join(options.cwd, "flows", name);
  if (existsSync(root)) {
    throw new UsageError(`${shortPath(options.cwd, root)} already exists`, {
      hint: "init never overwrites; pick another name: codex-flows init <name>",
    });
  }
  const taken = discoverFlows(options.cwd).flows.find((flow) => flow.name === name);
  if (taken) {
    throw new UsageError(`a flow named "${name}" already exists (${shortPath(options.cwd, taken.manifestPath)})`, {
      hint: "pick another name: codex-flows init <name>",
    });
  }

  const written: string[] = [];
  for (const [path, content] of Object.entries(flowFiles(name))) {
    const target = join(root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content, { flag: "wx" });
    written.push(target);
  }
  // The step script imports flow.gen.ts, so the scaffold is only complete with its types generated.
  const { codegen } = await import("../../codegen/index.js");
  const report = await codegen({ cwd: options.cwd });
  const installed = packageInstalled(root);
  const event = join(root, EXAMPLE_EVENT);

  if (options.json) {
    const rel = (paths: string[]) => paths.map((path) => shortPath(options.cwd, path));
    const generated = rel([...report.written, ...report.unchanged]);
    console.log(
      JSON.stringify(
        { ok: report.errors.length === 0, flow: name, root, files: rel(written), generated, errors: report.errors },
        null,
        2,
      ),
    );
  } else {
    for (const path of [...written, ...report.written]) console.log(`wrote ${shortPath(options.cwd, path)}`);
    for (const problem of report.errors) console.error(`error: ${formatProblem(options.cwd, problem)}`);
    if (!installed) {
      console.log('note: the step imports "codex-flows/step": run `npm install codex-flows` in this project first');
    }
    console.log(`next: npx codex-flows fire --event ${shortPath(options.cwd, event)}`);
  }
  // Another flow's broken schema keeps codegen from finishing the project's types: say so with exit 2.
  return report.errors.length === 0 ? EXIT_OK : EXIT_USAGE;
}
