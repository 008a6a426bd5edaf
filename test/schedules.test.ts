// flow.toml [[schedules]]: `check` names the file and field of a bad cron or timezone, `list` and `check` show next fire times, DST as croner documents.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import type { ScheduleDefinition } from "../src/core/types.js";
import { nextTicks, tickEventId, ticksBetween } from "../src/engine/schedules.js";
import { jsonOf, runCli, tempDir, writeFiles } from "./helpers.js";

function project(schedules: string): string {
  return writeFiles(tempDir("codex-flows-schedule-check-"), {
    "flows/clock/flow.toml": [
      'name = "clock"',
      "version = 1",
      schedules,
      "[[steps]]",
      'name = "main"',
      'runner = "bun"',
      'script = "exec/main.ts"',
      "[steps.trigger]",
      'type = "clock.tick"',
    ].join("\n"),
    "flows/clock/exec/main.ts": 'console.log("FLOW_RESULT {\\"status\\":\\"completed\\"}");\n',
  });
}

const schedule = (name: string, cron: string, extra = "") =>
  `[[schedules]]\nname = "${name}"\ncron = "${cron}"\n${extra}[schedules.event]\ntype = "clock.tick"\n`;

describe("schedules in flow.toml", () => {
  test("check: an invalid cron or timezone is an error naming the file and the field", async () => {
    const dir = project(
      [
        schedule("bad-minute", "61 * * * *"),
        schedule("four-fields", "* * * *"),
        schedule("bad-zone", "0 3 * * *", 'timezone = "Mars/Olympus"\n'),
        schedule("bad-catch-up", "0 3 * * *", 'catch_up = "some"\n'),
      ].join("\n"),
    );
    const result = await runCli(["check", "--cwd", dir, "--json"]);
    expect(result.code).toBe(2);
    const { errors } = jsonOf<{ errors: { path: string; field: string; message: string }[] }>(result);
    const manifest = join(dir, "flows", "clock", "flow.toml");
    // The schema catches catch_up first; the cron and timezone checks run on a manifest that fits the schema.
    expect(errors).toEqual([
      expect.objectContaining({
        path: manifest,
        field: "schedules[3].catch_up",
        message: 'must be one of "latest", "none", "all"',
      }),
    ]);
    const fixed = project(
      [
        schedule("bad-minute", "61 * * * *"),
        schedule("four-fields", "* * * *"),
        schedule("bad-zone", "0 3 * * *", 'timezone = "Mars/Olympus"\n'),
        schedule("twice", "0 3 * * *"),
        schedule("twice", "0 4 * * *"),
      ].join("\n"),
    );
    const second = await runCli(["check", "--cwd", fixed]);
    expect(second.code).toBe(2);
    const lines = second.stdout;
    expect(lines).toMatch(
      /flows\/clock\/flow\.toml.*schedules\[0\]\.cron.*"61 \* \* \* \*" is not a valid cron expression: .*minute/,
    );
    expect(lines).toMatch(
      /flows\/clock\/flow\.toml.*schedules\[1\]\.cron.*has 4 field\(s\); write 5 .* or 6 \(seconds first\)/,
    );
    expect(lines).toMatch(
      /flows\/clock\/flow\.toml.*schedules\[2\]\.timezone.*"Mars\/Olympus" is not an IANA time zone name/,
    );
    expect(lines).toMatch(
      /flows\/clock\/flow\.toml.*schedules\[4\]\.name.*duplicate schedule name "twice" \(also schedules\[3\]\)/,
    );
  });

  test("list and check show each schedule with its next three fire times", async () => {
    const dir = project(schedule("nightly", "0 3 * * *", 'timezone = "Europe/Berlin"\n'));
    const listed = jsonOf<{ flows: { schedules: Record<string, unknown>[] }[] }>(
      await runCli(["list", "--cwd", dir, "--json"]),
    );
    const [facts] = listed.flows[0]?.schedules ?? [];
    expect(facts).toMatchObject({ name: "nightly", cron: "0 3 * * *", timezone: "Europe/Berlin", catchUp: "latest" });
    const next = facts?.next as string[];
    expect(next).toHaveLength(3);
    // 03:00 in Berlin is 01:00 or 02:00 UTC, one day apart.
    for (const time of next) expect(time).toMatch(/T0[12]:00:00\.000Z$/);
    expect(Date.parse(next[0] as string)).toBeGreaterThan(Date.now());

    const text = await runCli(["list", "--cwd", dir]);
    expect(text.stdout).toContain(
      `schedule nightly  cron="0 3 * * *" Europe/Berlin  fires clock.tick  next: ${next.join(", ")}`,
    );
    const checked = await runCli(["check", "--cwd", dir]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain(
      `clock: schedule nightly  cron="0 3 * * *" Europe/Berlin  fires clock.tick  next: `,
    );
    expect(checked.stdout).not.toContain("runs no step");
    const orphan = project(schedule("lost", "0 3 * * *").replace('type = "clock.tick"', 'type = "clock.nobody"'));
    const noted = await runCli(["check", "--cwd", orphan]);
    expect(noted.code).toBe(0);
    expect(noted.stdout).toContain(
      'note: schedule clock/lost: its event runs no step (no step triggers on "clock.nobody")',
    );
    const checkedJson = jsonOf<{ schedules: Record<string, unknown>[] }>(
      await runCli(["check", "--cwd", dir, "--json"]),
    );
    expect(checkedJson.schedules).toEqual([expect.objectContaining({ flow: "clock", name: "nightly", next })]);
  });

  test("fire and run are unaffected: a scheduled step runs by hand with the same event, and no tick fires in-process", async () => {
    const dir = project(schedule("every-second", "* * * * * *"));
    const event = JSON.stringify({ id: "by-hand", type: "clock.tick", payload: {} });
    const fired = await runCli(["fire", "--cwd", dir, "--event", "-", "--json"], { input: event });
    expect(fired.code).toBe(0);
    const report = jsonOf<{ runs: { eventId: string; step: string; status: string }[] }>(fired);
    expect(report.runs).toEqual([expect.objectContaining({ eventId: "by-hand", step: "main", status: "completed" })]);
  });

  test("daylight saving in the schedule's timezone: as croner documents", () => {
    const berlin = (cron: string): ScheduleDefinition => ({
      name: "dst",
      cron,
      timezone: "Europe/Berlin",
      catchUp: "latest",
      event: { type: "clock.tick", payload: {} },
    });
    // Spring forward (2026-03-29, 02:00 -> 03:00): a fixed-time job in the gap runs at the first valid time after it.
    expect(nextTicks(berlin("30 2 * * *"), new Date("2026-03-28T12:00:00Z"), 2).map((d) => d.toISOString())).toEqual([
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:30:00.000Z",
    ]);
    // Fall back (2026-10-25, 03:00 -> 02:00): an interval job runs on both passes through 02:30.
    expect(nextTicks(berlin("30 * * * *"), new Date("2026-10-24T23:45:00Z"), 3).map((d) => d.toISOString())).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-25T01:30:00.000Z",
      "2026-10-25T02:30:00.000Z",
    ]);
    // ...and a fixed-time job at 02:30 runs once that day.
    expect(nextTicks(berlin("30 2 * * *"), new Date("2026-10-24T12:00:00Z"), 2).map((d) => d.toISOString())).toEqual([
      "2026-10-25T00:30:00.000Z",
      "2026-10-26T01:30:00.000Z",
    ]);
  });

  test("missed ticks are counted back from now, bounded, oldest first; tick ids are deterministic", () => {
    const every2s: ScheduleDefinition = {
      name: "fast",
      cron: "*/2 * * * * *",
      timezone: "UTC",
      catchUp: "all",
      event: { type: "clock.tick", payload: {} },
    };
    const after = new Date("2026-01-01T00:00:00Z");
    const upTo = new Date("2026-01-01T00:00:10Z");
    expect(ticksBetween(every2s, after, upTo, 100).map((d) => d.toISOString().slice(17, 19))).toEqual([
      "02",
      "04",
      "06",
      "08",
      "10",
    ]);
    expect(ticksBetween(every2s, after, upTo, 2).map((d) => d.toISOString().slice(17, 19))).toEqual(["08", "10"]);
    // A whole day down on a per-second cron is still cheap: croner counts back from now.
    expect(ticksBetween(every2s, after, new Date("2026-01-02T00:00:00Z"), 100)).toHaveLength(100);
    expect(tickEventId("clock", "fast", upTo)).toBe("schedule:clock:fast:2026-01-01T00:00:10.000Z");
  });
});
