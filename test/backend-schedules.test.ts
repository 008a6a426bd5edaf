// Schedules in a real `backend serve`: ticks fire as events with deterministic ids, once each across kill -9, and catch_up after a stop.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, test } from "vitest";
import { DATABASE_FILE, openStore } from "../src/store/open-store.js";
import { api, type Backend, eventually, type Run, startBackend } from "./backend-helpers.js";
import { tempDir, writeFiles } from "./helpers.js";

const EVERY_2S = "*/2 * * * * *";

/** A project whose `ticker` flow has the given schedules (all firing `ticker.tick`) and one step that logs each event id. */
function tickerProject(schedules: { name: string; catchUp?: string }[]): string {
  const toml = [
    'name = "ticker"',
    "version = 1",
    "",
    ...schedules.flatMap((schedule) => [
      "[[schedules]]",
      `name = "${schedule.name}"`,
      `cron = "${EVERY_2S}"`,
      ...(schedule.catchUp ? [`catch_up = "${schedule.catchUp}"`] : []),
      "[schedules.event]",
      'type = "ticker.tick"',
      `payload = { from = "${schedule.name}" }`,
      "",
    ]),
    "[[steps]]",
    'name = "log"',
    'runner = "bun"',
    'script = "exec/log.ts"',
    "timeout_ms = 30000",
    "[steps.trigger]",
    'type = "ticker.tick"',
  ].join("\n");
  const project = tempDir("codex-flows-schedules-");
  return writeFiles(project, {
    "flows/ticker/flow.toml": toml,
    // Appends the event id to ticks.log: a tick that ran twice would be there twice.
    "flows/ticker/exec/log.ts": [
      'import { appendFileSync } from "node:fs";',
      "const input = JSON.parse(await new Response(Bun.stdin.stream()).text());",
      'appendFileSync(input.flow.root + "/../../ticks.log", input.flow.event.id + "\\n");',
      'console.log("FLOW_RESULT " + JSON.stringify({ status: "completed" }));',
    ].join("\n"),
  });
}

interface StoredEvent {
  id: string;
  type: string;
  source?: string;
  occurredAt?: string;
  receivedAt: string;
  payload: { from: string };
}

/** The scheduled events of `schedule`, oldest tick first. */
async function tickEvents(backend: Backend, schedule: string): Promise<StoredEvent[]> {
  const { body } = await api<{ events: { event: StoredEvent }[] }>(backend.url, "GET", "/events?limit=1000");
  return body.events
    .map((record) => record.event)
    .filter((event) => event.id.startsWith(`schedule:ticker:${schedule}:`))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The tick an event id names (`schedule:<flow>:<name>:<ISO time>`). */
const tickOf = (event: StoredEvent) => Date.parse(/:(\d{4}-\d\d-\d\dT[\d:.]+Z)$/.exec(event.id)?.[1] ?? "");

async function waitForTicks(backend: Backend, schedule: string, count: number, after = 0): Promise<StoredEvent[]> {
  return eventually(
    async () => {
      const events = await tickEvents(backend, schedule);
      return events.filter((event) => tickOf(event) > after).length >= count ? events : undefined;
    },
    45_000,
    `${count} tick(s) of ${schedule}`,
  );
}

async function runsOf(backend: Backend, eventId: string): Promise<Run[]> {
  const { body } = await api<{ runs: Run[] }>(backend.url, "GET", `/runs?eventId=${encodeURIComponent(eventId)}`);
  return body.runs;
}

function loggedIds(project: string): string[] {
  const file = join(project, "ticks.log");
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

describe("backend schedules", () => {
  test("ticks fire on time as events with deterministic ids, logged, listed by GET /schedules", async () => {
    const project = tickerProject([{ name: "every2s" }]);
    const backend = await startBackend({ project });
    const events = await waitForTicks(backend, "every2s", 3);
    for (const event of events) {
      const tick = tickOf(event);
      expect(event.id).toBe(`schedule:ticker:every2s:${new Date(tick).toISOString()}`);
      expect(new Date(tick).getUTCSeconds() % 2).toBe(0);
      expect(event).toMatchObject({ type: "ticker.tick", source: "schedule", payload: { from: "every2s" } });
      expect(event.occurredAt).toBe(new Date(tick).toISOString());
      // Never early; late by little on a loaded machine (a generous bound, not a timing claim).
      expect(Date.parse(event.receivedAt)).toBeGreaterThanOrEqual(tick);
      expect(Date.parse(event.receivedAt) - tick).toBeLessThan(10_000);
    }
    // Consecutive ticks, none skipped.
    const ticks = events.map(tickOf);
    for (let index = 1; index < ticks.length; index++)
      expect((ticks[index] as number) - (ticks[index - 1] as number)).toBe(2_000);
    const first = events[0] as StoredEvent;
    await eventually(async () => (await runsOf(backend, first.id)).every((run) => run.status === "completed") && true);
    expect(await runsOf(backend, first.id)).toHaveLength(1);
    expect(backend.stderr()).toContain(
      `schedule ticker/every2s: tick ${first.occurredAt} fired event ${first.id}: 1 run(s)`,
    );

    const { status, body } = await api(backend.url, "GET", "/schedules");
    expect(status).toBe(200);
    const [listed] = body.schedules;
    expect(listed).toMatchObject({
      flow: "ticker",
      name: "every2s",
      cron: EVERY_2S,
      timezone: "UTC",
      catchUp: "latest",
    });
    expect(Date.parse(listed.lastTick)).toBeGreaterThanOrEqual(ticks.at(-1) as number);
    expect(listed.lastEventId).toBe(`schedule:ticker:every2s:${listed.lastTick}`);
    expect(listed.next).toHaveLength(3);
    expect(Date.parse(listed.next[0])).toBeGreaterThan(Date.parse(listed.lastTick));
    expect(await backend.stop()).toBe(0);
  }, 90_000);

  test("kill -9 and a restart across ticks: exactly one event, and one run, per tick", async () => {
    const project = tickerProject([{ name: "every2s" }]);
    const first = await startBackend({ project });
    const before = await waitForTicks(first, "every2s", 2);
    await first.stop("SIGKILL");
    // Down across at least one tick.
    await sleep(3_000);
    const restartAt = Date.now();
    const second = await startBackend({ project, dataDir: first.dataDir });
    const all = await waitForTicks(second, "every2s", 3, tickOf(before.at(-1) as StoredEvent));
    const ids = all.map((event) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Every tick the first service fired is still there once, and was not fired again.
    for (const event of before) expect(ids.filter((id) => id === event.id)).toHaveLength(1);
    for (const id of ids) expect(await runsOf(second, id)).toHaveLength(1);
    // Steps ran at most once per tick (the kill may have cut one short before it logged).
    const logged = loggedIds(project);
    expect(new Set(logged).size).toBe(logged.length);
    // The restart saw what it missed, and fired the newest missed tick and then one every 2 s.
    expect(second.stderr()).toMatch(/schedule ticker\/every2s: missed tick\(s\) since .*catch_up = latest: firing 1/);
    const lastBefore = Math.max(...all.filter((event) => Date.parse(event.receivedAt) < restartAt).map(tickOf));
    const after = all.map(tickOf).filter((tick) => tick > lastBefore);
    expect(after[0]).toBeGreaterThanOrEqual(Math.floor(restartAt / 2_000) * 2_000);
    for (let index = 1; index < after.length; index++)
      expect((after[index] as number) - (after[index - 1] as number)).toBe(2_000);
    expect(await second.stop()).toBe(0);
  }, 120_000);

  test("a tick fired again after its record was lost (a crash between commit and record) is a duplicate, not a second run", async () => {
    const project = tickerProject([{ name: "every2s", catchUp: "all" }]);
    const first = await startBackend({ project });
    const before = await waitForTicks(first, "every2s", 2);
    await first.stop("SIGKILL");
    // Forget the last two ticks, as a crash right after their events were committed would.
    const firstTick = tickOf(before[0] as StoredEvent);
    const db = await openStore(join(first.dataDir, DATABASE_FILE));
    db.prepare("UPDATE schedule_state SET checked_through = ?, last_tick_at = NULL").run(firstTick - 1);
    db.close();
    const second = await startBackend({ project, dataDir: first.dataDir });
    for (const event of before.slice(0, 2)) {
      await eventually(
        () => second.stderr().includes(`fired event ${event.id}: already accepted before (not run again)`),
        30_000,
        `the second look at ${event.id}`,
      );
      expect(await runsOf(second, event.id)).toHaveLength(1);
    }
    await waitForTicks(second, "every2s", 1, Date.now());
    const logged = loggedIds(project);
    expect(new Set(logged).size).toBe(logged.length);
    expect(await second.stop()).toBe(0);
  }, 120_000);

  test("catch_up after a stop spanning several ticks: latest fires the newest once, none fires none, all fires each", async () => {
    const project = tickerProject([
      { name: "latest" },
      { name: "none", catchUp: "none" },
      { name: "all", catchUp: "all" },
    ]);
    const first = await startBackend({ project });
    for (const name of ["latest", "none", "all"]) await waitForTicks(first, name, 1);
    expect(await first.stop()).toBe(0);
    const downFrom = Date.now();
    await sleep(7_000);
    const downTo = Date.now();
    const second = await startBackend({ project, dataDir: first.dataDir });
    // Ticks that certainly passed while no service ran.
    const missed: number[] = [];
    for (let tick = Math.ceil((downFrom + 1) / 2_000) * 2_000; tick < downTo; tick += 2_000) missed.push(tick);
    expect(missed.length).toBeGreaterThanOrEqual(3);

    const fired = async (name: string) => {
      // Two live ticks after the restart: the catch-up (if any) comes before them.
      const events = await waitForTicks(second, name, 2, downTo);
      return new Set(events.map(tickOf));
    };
    const [latest, none, all] = [await fired("latest"), await fired("none"), await fired("all")];
    expect(missed.filter((tick) => all.has(tick))).toEqual(missed);
    expect(missed.filter((tick) => none.has(tick))).toEqual([]);
    // latest: at most one of the missed ticks (the newest: later ones may have passed during start-up).
    const latestMissed = missed.filter((tick) => latest.has(tick));
    expect(latestMissed.length).toBeLessThanOrEqual(1);
    if (latestMissed.length === 1) expect(latestMissed[0]).toBe(missed.at(-1));
    const log = second.stderr();
    expect(log).toMatch(/schedule ticker\/latest: missed tick\(s\) since .*catch_up = latest: firing 1\n/);
    expect(log).toMatch(/schedule ticker\/none: missed tick\(s\) since .*catch_up = none: firing 0\n/);
    expect(log).toMatch(
      /schedule ticker\/all: missed tick\(s\) since .*catch_up = all \(at most 100\): firing ([3-9]|\d\d)\n/,
    );
    // Each scheduled tick ran its step once.
    const logged = loggedIds(project);
    expect(new Set(logged).size).toBe(logged.length);
    expect(await second.stop()).toBe(0);
  }, 150_000);
});
