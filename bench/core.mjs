// P1 and P2: the engine's overhead on a no-op bun step, in-process and through the CLI.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildContext, discoverFlows, normalizeEvent, runStep } from "../dist/index.js";
import { atMost, interleave, median, report } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const fixture = join(here, "fixture");
const eventFile = join(fixture, "event.json");
const bun = join(root, "node_modules", ".bin", "bun");
const cli = join(root, "dist", "cli.cjs");

const { flows } = discoverFlows(fixture);
const flow = flows[0];
const step = flow.steps[0];
const event = normalizeEvent(JSON.parse(readFileSync(eventFile, "utf8")));
const contextJson = JSON.stringify(buildContext(flow, step, event));

/** Spawns a command, optionally feeding stdin, collecting stdout; resolves on close. */
function run(command, args, input, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: flow.root, env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (text) => {
      stdout += text;
    });
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} exited ${code}`))));
    child.stdin.end(input ?? "");
  });
}

export async function benchCore(rounds = 30) {
  const p1 = await interleave(
    {
      engine: async () => {
        const result = await runStep(flow, step, event);
        if (result.status !== "completed") throw new Error(result.result.message);
      },
      raw: () => run(bun, [step.script], contextJson),
    },
    rounds,
  );
  const engine = median(p1.engine);
  const raw = median(p1.raw);
  report(
    "P1",
    "in-process runStep / raw spawn(bun script)",
    engine / raw,
    atMost(1.15),
    `${engine.toFixed(1)} ms vs ${raw.toFixed(1)} ms`,
  );

  const cliArgs = [cli, "run", "noop", "noop", "--cwd", fixture, "--event", eventFile];
  const uncached = { ...process.env, CODEX_FLOWS_CACHE_DIR: "off" };
  const p2 = await interleave(
    {
      cli: () => run(process.execPath, cliArgs),
      cold: () => run(process.execPath, cliArgs, "", uncached),
      node: () => run(process.execPath, ["-e", "0"]),
      bun: () => run(bun, [step.script], contextJson),
    },
    rounds,
  );
  const wall = median(p2.cli);
  const floor = median(p2.node) + median(p2.bun);
  report(
    "P2",
    "`codex-flows run` / (node -e 0 + bare bun script)",
    wall / floor,
    atMost(1.25),
    `${wall.toFixed(1)} ms vs ${median(p2.node).toFixed(1)} + ${median(p2.bun).toFixed(1)} ms`,
  );
  const cold = median(p2.cold);
  report(
    "P2",
    "`codex-flows run` with CODEX_FLOWS_CACHE_DIR=off (no validator or code cache, a first run) / the same floor",
    cold / floor,
    atMost(1.6),
    `${cold.toFixed(1)} ms`,
  );
}
