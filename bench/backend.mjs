// P3, P4, P5, P7: the local backend's accept throughput, dispatch latency, run throughput and remote-worker
// throughput, each against a baseline.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Pool } from "undici";
import { atLeast, atMost, median, percentile, report, reportExcess } from "./stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const fixture = join(here, "backend-fixture");
const cli = join(root, "dist", "cli.cjs");
const bun = join(root, "node_modules", ".bin", "bun");
const SECRET = "bench-secret";
/** graphile-worker's p99 from addJob to the step process started, measured beside ours in issue 12. */
const GRAPHILE_P99_MS = 23;
// The service's own pragmas (src/store/open-store.ts), so the baseline pays the same fsync per commit.
const PRAGMAS = ["journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "busy_timeout = 5000"];

async function startService(dataDir, extraEnv = {}, concurrency = 4) {
  const child = spawn(
    process.execPath,
    [
      cli,
      "backend",
      "serve",
      "--cwd",
      fixture,
      "--data-dir",
      dataDir,
      "--port",
      "0",
      "--concurrency",
      String(concurrency),
    ],
    { env: { ...process.env, CODEX_FLOW_BACKEND_SECRET: SECRET, ...extraEnv }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (text) => {
    stdout += text;
  });
  child.stderr.resume();
  const deadline = Date.now() + 20_000;
  while (!/listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error("backend did not start");
    await sleep(20);
  }
  const url = /listening on (\S+)/.exec(stdout)[1];
  const pool = new Pool(url, { connections: 32, pipelining: 1 });
  return {
    url,
    pool,
    async stop() {
      await pool.close();
      child.kill("SIGTERM");
      await new Promise((resolve) => child.on("exit", resolve));
    },
  };
}

function signedRequest(secret, method, path, body = "") {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac("sha256", secret)
    .update(`${timestamp}\n${method}\n${path}\n`)
    .update(body)
    .digest("hex");
  return { "x-flow-timestamp": timestamp, "x-flow-signature-256": `sha256=${signature}` };
}

/** POST /events signed webhook style (HMAC of the raw body), as Patchbay sends them. */
async function postEvent(pool, event) {
  const body = JSON.stringify(event);
  const signature = `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;
  const answer = await pool.request({
    path: "/events",
    method: "POST",
    headers: { "content-type": "application/json", "x-flow-signature-256": signature },
    body,
  });
  const text = await answer.body.text();
  if (answer.statusCode !== 202) throw new Error(`POST /events answered ${answer.statusCode}: ${text}`);
  return JSON.parse(text);
}

async function getJson(pool, path) {
  const answer = await pool.request({ path, method: "GET", headers: signedRequest(SECRET, "GET", path) });
  return JSON.parse(await answer.body.text());
}

/** Runs `count` tasks with at most `width` in flight. */
async function parallel(count, width, task) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

function spawnOnce(args, input, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(bun, args, { cwd: fixture, env, stdio: ["pipe", "pipe", "ignore"] });
    child.stdout.resume();
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`bun exited ${code}`))));
    child.stdin.end(input);
  });
}

/** The P3 floor (bench/bare-server.mjs): HMAC check, JSON.parse, 202, nothing stored; its own process like the service. */
async function startBareServer() {
  const child = spawn(process.execPath, [join(here, "bare-server.mjs")], {
    env: { ...process.env, CODEX_FLOW_BACKEND_SECRET: SECRET },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (text) => {
    stdout += text;
  });
  while (!/listening on (\S+)/.test(stdout)) {
    if (child.exitCode !== null) throw new Error("the bare server did not start");
    await sleep(10);
  }
  return {
    url: /listening on (\S+)/.exec(stdout)[1],
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.on("exit", resolve));
    },
  };
}

/** Signed no-match POSTs per second at `connections`, after `warm` of them (JIT, a grown database and WAL). */
async function intakeRate(url, connections, prefix, count, warm) {
  const pool = new Pool(url, { connections, pipelining: 1 });
  await parallel(warm, connections, (i) => postEvent(pool, { id: `${prefix}-warm-${i}`, type: "bench.nomatch" }));
  const start = performance.now();
  await parallel(count, connections, (i) =>
    postEvent(pool, { id: `${prefix}-e${i}`, type: "bench.nomatch", payload: { n: i } }),
  );
  const rate = count / ((performance.now() - start) / 1000);
  await pool.close();
  return rate;
}

/** Raw better-sqlite3 autocommit inserts per second into the service's schema and pragmas (for reference). */
function rawInsertRate(dir, count) {
  const db = new Database(join(dir, "raw.sqlite"));
  for (const pragma of PRAGMAS) db.pragma(pragma);
  db.exec(
    "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, source TEXT, received_at TEXT NOT NULL, accepted_at INTEGER NOT NULL, body TEXT NOT NULL, matched INTEGER NOT NULL, skipped TEXT NOT NULL, parent_event_id TEXT, depth INTEGER NOT NULL DEFAULT 0, replays INTEGER NOT NULL DEFAULT 0)",
  );
  const insert = db.prepare(
    "INSERT INTO events (id, type, source, received_at, accepted_at, body, matched, skipped) VALUES (?, ?, NULL, ?, ?, ?, 0, '[]') ON CONFLICT (id) DO NOTHING",
  );
  const insertEvent = (id, i) => {
    const event = { id, type: "bench.nomatch", payload: { n: i }, receivedAt: new Date().toISOString() };
    insert.run(event.id, event.type, event.receivedAt, Date.now(), JSON.stringify(event));
  };
  for (let i = 0; i < 1_000; i++) insertEvent(`warm-${i}`, i);
  const start = performance.now();
  for (let i = 0; i < count; i++) insertEvent(`e${i}`, i);
  const rate = count / ((performance.now() - start) / 1000);
  db.close();
  return rate;
}

async function p3(rounds) {
  // Per connection count: a fresh service per round (its event files owed stay below the writer's
  // limit, as in any burst shorter than 10,000 events), against the bare server, interleaved. Each
  // side is measured after the same warm-up: 4,000 requests bring a new service to its steady state
  // (after 1,000, V8 was still optimizing: a third of its CPU per event, on the core the client needs),
  // as the long-lived bare server is after its first round.
  const counts = { 1: 800, 8: 3_000, 32: 3_000 };
  const warm = { 1: 800, 8: 4_000, 32: 4_000 };
  const service = { 1: [], 8: [], 32: [] };
  const floor = { 1: [], 8: [], 32: [] };
  const raw = [];
  const bare = await startBareServer();
  for (let round = 0; round < rounds; round++) {
    const dir = mkdtempSync(join(tmpdir(), "codex-flows-bench-p3-"));
    for (const connections of [1, 8, 32]) {
      const backend = await startService(join(dir, `service-${connections}`));
      const [count, warmup] = [counts[connections], warm[connections]];
      service[connections].push(await intakeRate(backend.url, connections, `r${round}`, count, warmup));
      await backend.stop();
      floor[connections].push(await intakeRate(bare.url, connections, `r${round}-${connections}`, count, warmup));
    }
    raw.push(rawInsertRate(dir, 2_000));
    rmSync(dir, { recursive: true, force: true });
  }
  await bare.stop();
  const at = (connections) => ({ measured: median(service[connections]), floor: median(floor[connections]) });
  const { measured, floor: httpFloor } = at(32);
  const others = [1, 8]
    .map(
      (c) =>
        `${c} conn: ${at(c).measured.toFixed(0)} vs ${at(c).floor.toFixed(0)} (${(at(c).measured / at(c).floor).toFixed(2)})`,
    )
    .join("; ");
  report(
    "P3",
    "signed POST /events, 32 connections, no match, each durable before its 202 / bare node:http (HMAC + JSON.parse + 202)",
    measured / httpFloor,
    atLeast(0.5),
    `${measured.toFixed(0)} vs ${httpFloor.toFixed(0)} req/s; ${others}; raw autocommit inserts ${median(raw).toFixed(0)}/s`,
  );
}

async function p4(samples) {
  const dir = mkdtempSync(join(tmpdir(), "codex-flows-bench-p4-"));
  const probeDir = join(dir, "probes");
  mkdirSync(probeDir);
  const service = await startService(join(dir, "service"), { PROBE_DIR: probeDir });
  const waitProbe = async (name) => {
    const file = join(probeDir, encodeURIComponent(name));
    while (!existsSync(file)) await sleep(1);
    let text = "";
    while (!text) text = readFileSync(file, "utf8");
    return Number(text);
  };
  const backend = [];
  const fromSend = [];
  const bare = [];
  for (let i = -3; i < samples; i++) {
    const id = `probe-${i}`;
    const sentAt = performance.timeOrigin + performance.now();
    const answered = await postEvent(service.pool, { id, type: "bench.probe" }).then(
      () => performance.timeOrigin + performance.now(),
    );
    const started = await waitProbe(id);
    const rawId = `raw-${i}`;
    const spawnedAt = performance.timeOrigin + performance.now();
    await spawnOnce([join(fixture, "flows", "probe", "exec", "probe.ts")], "{}", {
      ...process.env,
      PROBE_DIR: probeDir,
      PROBE_ID: rawId,
    });
    const rawStarted = await waitProbe(rawId);
    // Let the backend's run finish before the next sample, so samples never overlap.
    await sleep(30);
    if (i < 0) continue;
    backend.push(started - answered);
    fromSend.push(started - sentAt);
    bare.push(rawStarted - spawnedAt);
  }
  await service.stop();
  rmSync(dir, { recursive: true, force: true });
  const bareMedian = median(bare);
  // As the issue defines it: from the client reading the 202 to the step's process start, minus a bare
  // spawn. The service wakes its workers as the batch commits, before it writes the 202, so the spawn
  // overlaps the response and this can fall below zero. The stricter figure, timed from when the POST
  // is sent (HTTP parsing, signature check and commit included), is in the detail.
  const p50 = median(backend) - bareMedian;
  const p99 = percentile(backend, 99) - bareMedian;
  const strict = (value) => `${(value - bareMedian).toFixed(1)} ms`;
  const detail = `202 -> start p50 ${median(backend).toFixed(1)} ms, p99 ${percentile(backend, 99).toFixed(1)} ms; bare spawn ${bareMedian.toFixed(1)} ms; from POST sent: p50 +${strict(median(fromSend))}, p99 +${strict(percentile(fromSend, 99))} over bare spawn`;
  reportExcess("P4", "202 -> step process start, p50", p50, atMost(5), detail);
  reportExcess("P4", "202 -> step process start, p99", p99, atMost(25), detail);
  // The comparison: graphile-worker 0.17 on a durable Postgres 15 took 23 ms (p99) from addJob
  // called to the Bun process started, on this machine class. Ours from the POST sent (signature
  // check, validation, the synced commit and the spawn included), beside a bare spawn measured here.
  const sent = percentile(fromSend, 99);
  const target = atMost(GRAPHILE_P99_MS);
  console.log(
    `P4 POST sent -> step process start, p99: ${sent.toFixed(1)} ms (target ${target.label} ms, graphile-worker's addJob -> start) ${target.test(sent) ? "ok" : "MISSED"}  [bare spawn -> start p99 ${percentile(bare, 99).toFixed(1)} ms, p50 ${bareMedian.toFixed(1)} ms]`,
  );
}

/**
 * Polls until no run is queued or running. Every 100 ms: polling every 20 ms cost the service ~14% of
 * its CPU in P5 (two answered requests per poll), which the raw-spawn baseline never pays. The end of
 * a round is then read from the runs' own finish times (finishedRunsPerSecond), not from the poll.
 */
async function waitIdle(pool) {
  while (true) {
    const queued = await getJson(pool, "/runs?status=queued&limit=1");
    const running = await getJson(pool, "/runs?status=running&limit=1");
    if (queued.runs.length === 0 && running.runs.length === 0) return;
    await sleep(100);
  }
}

/**
 * Runs/s of the `count` newest completed runs, from `startedAt` (Date.now() before the first POST)
 * to the last one's finishedAt: the poll that saw them finish may come up to 100 ms later.
 */
async function finishedRunsPerSecond(pool, prefix, count, startedAt) {
  const { runs } = await getJson(pool, `/runs?status=completed&limit=${count}`);
  const ours = runs.filter((run) => run.eventId.startsWith(prefix));
  if (ours.length !== count) throw new Error(`only ${ours.length} of ${count} runs of ${prefix} completed`);
  const end = Math.max(...ours.map((run) => Date.parse(run.finishedAt)));
  return count / ((end - startedAt) / 1000);
}

async function p5(rounds) {
  const count = 120;
  const service = [];
  const direct = [];
  const raw = [];
  const script = join(fixture, "flows", "noop", "exec", "noop.ts");
  const context = JSON.stringify({
    flow: { name: "noop", version: 1, root: fixture, step: "noop", config: {}, event: {} },
  });
  const dir = mkdtempSync(join(tmpdir(), "codex-flows-bench-p5-"));
  // Two services for every round, measured warm (JIT, statements, a grown WAL) like the baseline's
  // spawn path: the default one (steps start through the spawn helper) and, for reference, one that
  // forks each step itself (CODEX_FLOWS_SPAWN_HELPER=0), the way before the helper.
  const backend = await startService(join(dir, "service"));
  const forking = await startService(join(dir, "direct"), { CODEX_FLOWS_SPAWN_HELPER: "0" });
  for (const target of [backend, forking]) {
    await parallel(60, 4, (i) => postEvent(target.pool, { id: `warm-${i}`, type: "bench.noop" }));
    await waitIdle(target.pool);
  }
  const throughput = async (target, round) => {
    const start = Date.now();
    await parallel(count, 32, (i) => postEvent(target.pool, { id: `r${round}-n${i}`, type: "bench.noop" }));
    await waitIdle(target.pool);
    return finishedRunsPerSecond(target.pool, `r${round}-n`, count, start);
  };
  for (let round = 0; round < rounds; round++) {
    service.push(await throughput(backend, round));
    direct.push(await throughput(forking, round));
    const start = performance.now();
    await parallel(count, 4, () => spawnOnce([script], context, process.env));
    raw.push(count / ((performance.now() - start) / 1000));
  }
  for (const target of [backend, forking]) {
    const { runs } = await getJson(target.pool, "/runs?status=completed&limit=1000");
    if (runs.length !== 60 + rounds * count) throw new Error(`P5: only ${runs.length} runs completed`);
    await target.stop();
  }
  rmSync(dir, { recursive: true, force: true });
  const measured = median(service);
  const baseline = median(raw);
  report(
    "P5",
    "no-op runs/s at concurrency 4 / raw bun spawns/s at concurrency 4",
    measured / baseline,
    atLeast(0.9),
    `${measured.toFixed(1)} runs/s vs ${baseline.toFixed(1)} spawns/s; forking each step from the service: ${median(direct).toFixed(1)} runs/s (${(median(direct) / baseline).toFixed(2)})`,
  );
}

/** A `codex-flows worker` process for the service at `url`, running the fixture's flows. */
async function startWorker(url, concurrency) {
  const child = spawn(
    process.execPath,
    [cli, "worker", "--url", url, "--cwd", fixture, "--concurrency", String(concurrency)],
    {
      env: { ...process.env, CODEX_FLOW_BACKEND_SECRET: SECRET },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (text) => {
    stderr += text;
  });
  const deadline = Date.now() + 20_000;
  while (!stderr.includes("polling ")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`worker did not start: ${stderr}`);
    await sleep(20);
  }
  return {
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.on("exit", resolve));
    },
  };
}

/** Runs `count` no-op events through a service and returns runs/s, from the first POST to the last run done. */
async function runsPerSecond(service, prefix, count) {
  const start = Date.now();
  await parallel(count, 32, (i) => postEvent(service.pool, { id: `${prefix}-n${i}`, type: "bench.noop" }));
  await waitIdle(service.pool);
  return finishedRunsPerSecond(service.pool, `${prefix}-n`, count, start);
}

async function p7(rounds) {
  const count = 120;
  const dir = mkdtempSync(join(tmpdir(), "codex-flows-bench-p7-"));
  const local = await startService(join(dir, "local"));
  const plane = await startService(join(dir, "plane"), {}, 0);
  const worker = await startWorker(plane.url, 4);
  const inProcess = [];
  const remote = [];
  for (const service of [local, plane]) await runsPerSecond(service, "warm", 60);
  // Interleaved, so load on the machine hits both alike; one service at a time, so they never compete.
  for (let round = 0; round < rounds; round++) {
    inProcess.push(await runsPerSecond(local, `r${round}`, count));
    remote.push(await runsPerSecond(plane, `r${round}`, count));
  }
  const { runs } = await getJson(plane.pool, "/runs?status=completed&limit=1000");
  if (runs.length !== 60 + rounds * count) throw new Error(`P7: only ${runs.length} remote runs completed`);
  await worker.stop();
  await plane.stop();
  await local.stop();
  rmSync(dir, { recursive: true, force: true });
  const measured = median(remote);
  const baseline = median(inProcess);
  report(
    "P7",
    "remote-worker no-op runs/s at concurrency 4 (one worker over HTTP) / in-process pool runs/s",
    measured / baseline,
    atLeast(0.8),
    `${measured.toFixed(1)} vs ${baseline.toFixed(1)} runs/s`,
  );
}

/** Called by bench/run.mjs; `rounds` scales the sample counts. */
export async function benchBackend(rounds = 30) {
  // BENCH_ONLY=P4,P5 runs a subset.
  const only = process.env.BENCH_ONLY?.split(",");
  const wanted = (id) => !only || only.includes(id);
  const repeats = Math.max(3, Math.min(5, Math.round(rounds / 10)));
  if (wanted("P3")) await p3(repeats);
  // 100 samples: with fewer, a p99 is the largest sample, and one hiccup of the machine decides it.
  if (wanted("P4")) await p4(Math.max(100, rounds * 2));
  if (wanted("P5")) await p5(repeats);
  if (wanted("P7")) await p7(repeats);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await benchBackend(Number(process.env.BENCH_ROUNDS ?? 30));
}
