// docs/backend.md's systemd unit must keep the SIGTERM grace period the service promises.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { resolveServeConfig } from "../src/backend/config.js";
import { ROOT } from "./helpers.js";

/** The first ```ini block after `heading`: its settings, and its Environment= variables apart. */
function unitFile(markdown: string, heading: string) {
  const section = markdown.slice(markdown.indexOf(heading));
  const block = /```ini\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const settings = new Map<string, string>();
  const env: Record<string, string> = {};
  for (const line of block.split("\n")) {
    const match = /^(\w+)=(\S*)/.exec(line.trim());
    if (!match?.[1] || match[2] === undefined) continue;
    const [key, value] = [match[1], match[2]];
    if (key !== "Environment") settings.set(key, value);
    else env[value.slice(0, value.indexOf("="))] = value.slice(value.indexOf("=") + 1);
  }
  return { settings, env };
}

describe("backend docs", () => {
  test("the systemd unit signals only the service on stop and waits longer than the grace period", () => {
    const { settings: unit, env } = unitFile(
      readFileSync(join(ROOT, "docs", "backend.md"), "utf8"),
      "## Running under systemd",
    );
    // control-group (the default) would SIGTERM every direct-executor step at once, defeating the grace period.
    expect(unit.get("KillMode")).toBe("mixed");
    expect(unit.get("KillSignal") ?? "SIGTERM").toBe("SIGTERM");
    const graceMs = resolveServeConfig({}, { ...env, CODEX_FLOW_BACKEND_SECRET: "x" }).graceMs;
    const stopSeconds = Number(/^(\d+)s?$/.exec(unit.get("TimeoutStopSec") ?? "")?.[1]);
    // Past the grace period the service still kills the steps (up to 2 s each) and closes the store.
    expect(stopSeconds * 1000).toBeGreaterThanOrEqual(graceMs + 10_000);
  });
});
