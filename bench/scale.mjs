// P6 scale: 1,000 flows (discovery, match, cold `fire --dry-run`), and a service over a million events and two
// million runs (start-up, indexed pages, RSS), each against its target and a baseline measured in the same run.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import Database from "better-sqlite3";
import { Pool } from "undici";
import { EVENT_TYPES, eventId, fillStore, flowsProject, ORPHANED_EVENTS, writeNewestFiles } from "./scale-fixtures.mjs";
import { below, interleave, median, percentile, reportValue } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const cli = join(root, "dist", "cli.cjs");
const SECRET = "bench-secret";
const FLOWS = 1_000;

function runCli(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (text) => {
      stderr += text;
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} exited ${code}: ${stderr}`))));
  });
}

async function benchFlows(dir, rounds) {
  const many = flowsProject(join(dir, "many"), FLOWS);
  const one = flowsProject(join(dir, "one"), 1);
  const { discoverFlows, FlowCatalog, matchEvent } = await import(pathToFileURL(join(root, "dist", "index.js")).href);
  // A type 30 of the 3,000 steps listen to, a third of them through a payload schema.
  const event = { id: "scale-1", type: `scale.t${EVENT_TYPES - 1}`, payload: { n: 1, repo: "org/repo" } };
  const check = (discovery, flows) => {
    if (discovery.errors.length > 0 || discovery.flows.length !== flows)
      throw new Error("the fixture flows did not load");
    return discovery;
  };
  const match = (cwd, flows) => matchEvent(event, check(discoverFlows(cwd), flows).flows);
  if (match(many, FLOWS).matches.length !== (FLOWS * 3) / EVENT_TYPES) throw new Error("unexpected matches");
  // The service's catalog re-reads the flows only when a folder or flow.toml changed (a stamp of stat
  // calls), then matches: what each accepted event costs.
  const catalogs = { many: new FlowCatalog(many), one: new FlowCatalog(one) };
  const plan = (catalog, matches) => {
    if (catalog.plan(event).runs.length !== matches) throw new Error("the catalog matched other steps");
  };
  const warm = await interleave(
    {
      discover: () => check(discoverFlows(many), FLOWS),
      discoverOne: () => check(discoverFlows(one), 1),
      match: () => match(many, FLOWS),
      matchOne: () => match(one, 1),
      plan: () => plan(catalogs.many, (FLOWS * 3) / EVENT_TYPES),
      planOne: () => plan(catalogs.one, 0),
    },
    Math.min(rounds, 10),
  );
  reportValue(
    "P6",
    `${FLOWS} flows x 3 steps: discovery afresh in a warm process (what \`list\` runs; the fixture is under 2 s old, so no schema listing is kept)`,
    median(warm.discover),
    "ms",
    below(50),
    `1 flow: ${median(warm.discoverOne).toFixed(1)} ms`,
  );
  reportValue(
    "P6",
    `${FLOWS} flows x 3 steps: discovery + match of one event warm, in process (FlowCatalog.plan, as the service)`,
    median(warm.plan),
    "ms",
    below(50),
    `1 flow: ${median(warm.planOne).toFixed(1)} ms; discoverFlows + matchEvent afresh: ${median(warm.match).toFixed(1)} ms, 1 flow ${median(warm.matchOne).toFixed(1)} ms`,
  );
  const eventFile = join(dir, "event.json");
  writeFileSync(eventFile, JSON.stringify(event));
  // A cache folder of the bench's own: the first round fills it, as a user's first run does.
  const env = { ...process.env, CODEX_FLOWS_CACHE_DIR: join(dir, "cache") };
  const fire = (cwd) => runCli(["fire", "--dry-run", "--cwd", cwd, "--event", eventFile], env);
  const list = (cwd) => runCli(["list", "--cwd", cwd], env);
  const cold = await interleave(
    { fire: () => fire(many), fireOne: () => fire(one), list: () => list(many), listOne: () => list(one) },
    Math.min(rounds, 3),
    1,
  );
  reportValue(
    "P6",
    `${FLOWS} flows: cold \`fire --dry-run\` (a new process)`,
    median(cold.fire),
    "ms",
    below(1_000),
    `1 flow: ${median(cold.fireOne).toFixed(0)} ms`,
  );
  reportValue(
    "P6",
    `${FLOWS} flows: cold \`list\` (a new process)`,
    median(cold.list),
    "ms",
    below(1_000),
    `1 flow: ${median(cold.listOne).toFixed(0)} ms`,
  );
}

/** Starts `backend serve` (no local workers: only the API is measured); resolves once it printed its URL. */
async function startService(project, dataDir) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [cli, "backend", "serve", "--cwd", project, "--data-dir", dataDir, "--port", "0", "--concurrency", "0"],
    { env: { ...process.env, CODEX_FLOW_BACKEND_SECRET: SECRET }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (text) => {
    stdout += text;
  });
  child.stderr.setEncoding("utf8").on("data", (text) => {
    stderr += text;
  });
  const deadline = Date.now() + 60_000;
  while (!/listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`backend did not start: ${stderr}`);
    await sleep(5);
  }
  const startupMs = performance.now() - started;
  const url = /listening on (\S+)/.exec(stdout)[1];
  const pool = new Pool(url, { connections: 1, pipelining: 1 });
  return {
    startupMs,
    pool,
    log: () => stderr,
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))[1]) / 1024,
    async stop() {
      await pool.close();
      child.kill("SIGTERM");
      await new Promise((resolve) => child.on("exit", resolve));
    },
  };
}

/** The HTTP floor: a bare node:http server in its own process answering a small JSON body, no store. */
async function startFloor() {
  const source = `require("node:http").createServer((request, response) => {
    response.setHeader("content-type", "application/json");
    response.end('{"ok":true}');
  }).listen(0, "127.0.0.1", function () { console.log("http://127.0.0.1:" + this.address().port); });`;
  const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (text) => {
    stdout += text;
  });
  while (!stdout.includes("\n")) {
    if (child.exitCode !== null) throw new Error("the floor server did not start");
    await sleep(5);
  }
  const pool = new Pool(stdout.trim(), { connections: 1, pipelining: 1 });
  return {
    async get() {
      const answer = await pool.request({ path: "/", method: "GET" });
      await answer.body.text();
    },
    async stop() {
      await pool.close();
      child.kill();
      await new Promise((resolve) => child.on("exit", resolve));
    },
  };
}

function signedHeaders(method, path) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", SECRET).update(`${timestamp}\n${method}\n${path}\n`).digest("hex");
  return { "x-flow-timestamp": timestamp, "x-flow-signature-256": `sha256=${signature}` };
}

async function getJson(pool, path) {
  const answer = await pool.request({ path, method: "GET", headers: signedHeaders("GET", path) });
  const text = await answer.body.text();
  if (answer.statusCode !== 200) throw new Error(`GET ${path} answered ${answer.statusCode}: ${text}`);
  return JSON.parse(text);
}

/** Latencies (ms) of `count` sequential calls of `fn(i)`. */
async function timed(count, fn) {
  const samples = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    await fn(i);
    samples.push(performance.now() - start);
  }
  return samples;
}

const summary = (samples) => `p50 ${median(samples).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms`;

async function benchStore(dir, events, requests) {
  const project = join(dir, "project");
  mkdirSync(join(project, "flows"), { recursive: true });
  const dataDir = join(dir, "data");
  // The real service creates and migrates the store; an empty start is the start-up baseline.
  const empty = await startService(project, dataDir);
  for (let i = 0; i < 20; i += 1) await getJson(empty.pool, "/events?limit=50");
  const emptyRss = empty.rssMb();
  await empty.stop();
  const buildStart = performance.now();
  const newest = fillStore(join(dataDir, "backend.sqlite"), events);
  writeNewestFiles(dataDir, newest);
  const buildMs = performance.now() - buildStart;
  const service = await startService(project, dataDir);
  const bare = new Database(join(dataDir, "backend.sqlite"), { readonly: true });
  const floor = await startFloor();
  try {
    if (/rewrote/.test(service.log())) throw new Error(`the fixture's event files did not match: ${service.log()}`);
    if (!new RegExp(`recovered ${ORPHANED_EVENTS * 2} interrupted`).test(service.log())) {
      throw new Error(`the orphaned runs were not recovered: ${service.log()}`);
    }
    reportValue(
      "P6",
      `service start-up to listening, ${events.toLocaleString("en")} events / ${(events * 2).toLocaleString("en")} runs (repair pass, lease recovery)`,
      service.startupMs,
      "ms",
      below(5_000),
      `empty data dir: ${empty.startupMs.toFixed(0)} ms; fixture built in ${(buildMs / 1000).toFixed(1)} s`,
    );
    const randomEvent = () => eventId(Math.floor(Math.random() * events));
    const failedPage = await getJson(service.pool, "/runs?status=failed&limit=50");
    if (failedPage.runs.length !== 50 || !failedPage.next) throw new Error("expected a full page of failed runs");
    // Cursors from all over the range: a keyset page deep in the table costs what the first one does.
    const cursors = [];
    for (let page = failedPage, i = 0; i < 20 && page.next; i += 1) {
      cursors.push(page.next);
      page = await getJson(service.pool, `/runs?status=failed&limit=1000&cursor=${page.next}`);
    }
    const endpoints = [
      [
        "GET /runs?status=failed&limit=50",
        () => "/runs?status=failed&limit=50",
        "SELECT * FROM runs WHERE status = 'failed' ORDER BY seq DESC LIMIT 51",
      ],
      [
        "GET /runs?status=failed&limit=50&cursor=",
        (i) => `/runs?status=failed&limit=50&cursor=${cursors[i % cursors.length]}`,
        null,
      ],
      ["GET /events?limit=50", () => "/events?limit=50", "SELECT * FROM events ORDER BY seq DESC LIMIT 51"],
      ["GET /events/<id>", () => `/events/${randomEvent()}`, "SELECT * FROM events WHERE id = ?"],
      [
        "GET /runs?eventId=<id>",
        () => `/runs?eventId=${randomEvent()}`,
        "SELECT * FROM runs WHERE event_id = ? ORDER BY seq DESC LIMIT 51",
      ],
    ];
    // Round-robin over the endpoints and the floor, so a busy moment of the machine hits all alike.
    const http = endpoints.map(() => []);
    const floorSamples = [];
    const time = async (samples, fn) => {
      const start = performance.now();
      await fn();
      samples.push(performance.now() - start);
    };
    for (let i = -20; i < requests; i += 1) {
      for (const [index, [, path]] of endpoints.entries()) {
        await time(i < 0 ? [] : http[index], () => getJson(service.pool, path(Math.max(i, 0))));
      }
      await time(i < 0 ? [] : floorSamples, () => floor.get());
    }
    const floorP99 = percentile(floorSamples, 99);
    for (const [index, [name, , sql]] of endpoints.entries()) {
      let baseline = "";
      if (sql) {
        const query = bare.prepare(sql);
        const lookup = await timed(requests, () => (sql.includes("?") ? query.all(randomEvent()) : query.all()));
        baseline = `; the bare SQLite query in process: ${summary(lookup)}`;
      }
      reportValue(
        "P6",
        `${name} p99 (${requests} signed requests)`,
        percentile(http[index], 99),
        "ms",
        below(10),
        `${summary(http[index])}; bare node:http floor in the same rounds: ${summary(floorSamples)} (${(percentile(http[index], 99) - floorP99).toFixed(1)} ms over it)${baseline}`,
      );
    }
    reportValue(
      "P6",
      "service RSS after serving them",
      service.rssMb(),
      "MB",
      below(150),
      `empty data dir: ${emptyRss.toFixed(0)} MB`,
    );
  } finally {
    bare.close();
    await floor.stop();
    await service.stop();
  }
}

export async function benchScale(rounds = 30) {
  const dir = mkdtempSync(join(tmpdir(), "codex-flows-bench-scale-"));
  try {
    await benchFlows(dir, rounds);
    await benchStore(dir, Number(process.env.BENCH_SCALE_EVENTS ?? 1_000_000), 400);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchScale(Number(process.env.BENCH_ROUNDS ?? 30));
}
