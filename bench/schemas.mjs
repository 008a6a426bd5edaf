// P8: a cold `codex-flows check` of N flows that share one large payload schema, against one flow:
// identical schemas are compiled once per process, so the ratio stays near 1 instead of near N.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bigSchema } from "./big-schema.mjs";
import { atMost, interleave, median, report } from "./stats.mjs";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "cli.cjs");
const FLOWS = 8;

/** A project of `count` flows, each with its own copy of the big schema and the same trigger schema. */
function project(root, count, big) {
  for (let n = 0; n < count; n += 1) {
    const dir = join(root, "flows", `f${n}`);
    mkdirSync(join(dir, "schemas"), { recursive: true });
    writeFileSync(
      join(dir, "flow.toml"),
      `name = "f${n}"\n[[steps]]\nname = "main"\nrunner = "bun"\nscript = "main.ts"\n` +
        `[steps.trigger]\ntype = "github.webhook"\nschema = "schemas/event.schema.json"\n`,
    );
    writeFileSync(join(dir, "main.ts"), "");
    writeFileSync(join(dir, "schemas", "big.schema.json"), big);
    writeFileSync(
      join(dir, "schemas", "event.schema.json"),
      JSON.stringify({ $ref: "big.schema.json#/definitions/webhook_event" }),
    );
  }
  return root;
}

function check(cwd) {
  return new Promise((resolve, reject) => {
    // Cache off: every round is a first run, which is what compiling once per process is about.
    const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: "off" };
    const child = spawn(process.execPath, [cli, "check", "--cwd", cwd], {
      env,
      stdio: ["ignore", "ignore", "inherit"],
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`check exited ${code} in ${cwd}`))));
  });
}

export async function benchSchemas(rounds = 30) {
  const dir = mkdtempSync(join(tmpdir(), "codex-flows-bench-p6-"));
  try {
    // 12 events x 6 actions: 105 definitions, ~0.5 s to compile `webhook_event` (a `oneOf` of every action).
    const big = JSON.stringify(bigSchema({ events: 12 }));
    const many = project(join(dir, "many"), FLOWS, big);
    const one = project(join(dir, "one"), 1, big);
    // Each round compiles for real; a few rounds are enough for a stable median.
    const samples = await interleave({ many: () => check(many), one: () => check(one) }, Math.min(rounds, 6), 1);
    const ratio = median(samples.many) / median(samples.one);
    report(
      "P8",
      `cold \`check\`, ${FLOWS} flows sharing one large schema / 1 flow`,
      ratio,
      atMost(1.5),
      `${median(samples.many).toFixed(0)} ms vs ${median(samples.one).toFixed(0)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
