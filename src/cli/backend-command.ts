// `codex-flows backend <action>`: cac has no nested commands, so one command takes the action and checks its flags.
import type { CAC } from "cac";
import { describeError, FlowError, UsageError } from "../core/errors.js";
import type { BackendFlags } from "./backend-actions.js";

const CLIENT = ["url", "secret", "json"];
const SERVE = [
  "dataDir",
  "host",
  "port",
  "secret",
  "executor",
  "concurrency",
  "insecure",
  "graceMs",
  "leaseMs",
  "bodyLimit",
  "retryBackoffMs",
];

/** The flags each action accepts (besides the global --cwd, --json and --debug). */
const ACTION_FLAGS: Record<string, string[]> = {
  serve: SERVE,
  dispatch: [...CLIENT, "event", "wait", "quiet"],
  "list-events": [...CLIENT, "type", "limit"],
  "show-event": CLIENT,
  "list-runs": [...CLIENT, "eventId", "status", "result", "limit"],
  "show-run": CLIENT,
  "replay-event": [...CLIENT, "wait", "quiet"],
  logs: [...CLIENT, "follow", "f"],
  "cancel-run": CLIENT,
  open: [...CLIENT, "print"],
  backup: ["dataDir", "out", "json"],
  prune: ["dataDir", "olderThan", "json"],
  "exec-step": ["flow", "step", "event", "resultFile"],
};

/** Flags whose values are text: read from argv as typed, since cac turns "0x1f" or "1e3" into numbers. */
const TEXT_FLAGS = [
  "url",
  "secret",
  "event",
  "type",
  "eventId",
  "status",
  "result",
  "out",
  "olderThan",
  "dataDir",
  "host",
  "executor",
  "flow",
  "step",
  "resultFile",
  "cwd",
];

const kebab = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/** The last value given for `--name` in argv (`--name value` or `--name=value`), exactly as typed. */
export function rawFlag(argv: readonly string[], name: string): string | undefined {
  const flag = `--${kebab(name)}`;
  let value: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] as string;
    if (arg === "--") break;
    if (arg === flag && index + 1 < argv.length) value = argv[index + 1];
    else if (arg.startsWith(`${flag}=`)) value = arg.slice(flag.length + 1);
  }
  return value;
}

const GLOBAL = new Set(["--", "cwd", "json", "debug", "help", "h", "version", "v"]);

function checkFlags(action: string, flags: Record<string, unknown>): void {
  const allowed = ACTION_FLAGS[action];
  if (!allowed) return;
  for (const [name, value] of Object.entries(flags)) {
    if (GLOBAL.has(name) || allowed.includes(name) || value === undefined || name.includes("-")) continue;
    throw new UsageError(`--${kebab(name)} does not apply to \`backend ${action}\``, {
      hint: `its flags: ${allowed.map((flag) => `--${kebab(flag)}`).join(" ") || "none"}`,
    });
  }
}

export function registerBackend(cli: CAC): void {
  cli
    .command(
      "backend <action> [...args]",
      "The durable local backend: serve | dispatch | list-events | show-event | list-runs | show-run | logs | replay-event | cancel-run | open | backup | prune",
    )
    .usage(
      [
        "backend <action> [...args] [options]",
        "",
        "  serve [--data-dir] [--host] [--port] [--secret] [--executor direct|systemd-run] [--concurrency N] [--insecure]",
        "  dispatch --event FILE [--wait [--quiet]]   replay-event <event-id> [--wait [--quiet]]",
        "  list-events [--type T] [--limit N]     show-event <event-id>",
        "  list-runs [--event-id] [--status] [--result] [--limit]",
        "  show-run <run-id>                      cancel-run <run-id>",
        "  logs <run-id> [--follow|-f]",
        "  open [--print]                         a login link to the dashboard (opened in the browser where possible)",
        "  backup --out DIR [--data-dir]",
        "  prune --older-than 30d [--data-dir]   delete older events with their runs and files (service stopped)",
        "",
        "The client actions find the service with --url or CODEX_FLOW_BACKEND_URL and sign with --secret or CODEX_FLOW_BACKEND_SECRET.",
      ].join("\n"),
    )
    .option("--url <url>", "Service URL (default CODEX_FLOW_BACKEND_URL, else http://127.0.0.1:7345)")
    .option("--secret <secret>", "Shared HMAC secret (default CODEX_FLOW_BACKEND_SECRET)")
    .option("--data-dir <dir>", "State folder (default CODEX_FLOW_BACKEND_DATA_DIR, else <cwd>/.codex/flow-backend)")
    .option("--host <host>", "serve: address to bind (default CODEX_FLOW_BACKEND_HOST, else 127.0.0.1)")
    .option("--port <port>", "serve: port (default CODEX_FLOW_BACKEND_PORT, else 7345; 0 picks a free one)")
    .option("--executor <name>", "serve: direct or systemd-run (default CODEX_FLOW_BACKEND_EXECUTOR, else direct)")
    .option(
      "--concurrency <n>",
      "serve: steps the service runs at once (default 4; 0 leaves them all to `codex-flows worker`)",
    )
    .option("--insecure", "serve: allow a non-loopback host without a secret")
    .option("--grace-ms <ms>", "serve: how long SIGTERM waits for running steps (default 30000)")
    .option("--lease-ms <ms>", "serve: run lease length; heartbeats come every third of it (default 30000)")
    .option("--body-limit <bytes>", "serve: largest request body (default 1048576)")
    .option("--retry-backoff-ms <ms>", "serve: first retry delay, doubling per attempt (default 1000)")
    .option("--event <file>", "dispatch: event JSON file, or - for stdin")
    .option(
      "--wait",
      "dispatch, replay-event: print the runs' output live, wait for them and the runs their next events start, and exit with their status (0/1/3)",
    )
    .option("--quiet", "dispatch, replay-event: with --wait, do not print the runs' output")
    .option("-f, --follow", "logs: follow the output until the run ends, and exit with its status (0/1/3)")
    .option("--type <type>", "list-events: only this event type")
    .option("--limit <n>", "list-events, list-runs: how many, newest first (default 50)")
    .option("--event-id <id>", "list-runs: only runs of this event")
    .option("--status <status>", "list-runs: queued, running, completed, failed or canceled")
    .option("--result <status>", "list-runs: the step's FLOW_RESULT status (blocked, needs_intervention, ...)")
    .option("--out <dir>", "backup: a new folder to write the backup to")
    .option("--older-than <duration>", "prune: delete events accepted longer ago than this (30d, 12h, 90m; s m h d w)")
    .option("--print", "open: only print the dashboard link, do not start a browser")
    .option("--flow <name>", "(internal, exec-step)")
    .option("--step <name>", "(internal, exec-step)")
    .option("--result-file <file>", "(internal, exec-step)")
    .action(async (action: string, args: string[], parsed: Record<string, unknown>) => {
      checkFlags(action, parsed);
      const flags: Record<string, unknown> = { ...parsed };
      for (const name of TEXT_FLAGS) {
        if (flags[name] === undefined) continue;
        const raw = rawFlag(process.argv, name);
        if (raw !== undefined) flags[name] = raw;
        else if (flags[name] === true) throw new UsageError(`--${kebab(name)} needs a value`);
      }
      try {
        const { backendAction } = await import("./backend-actions.js");
        process.exitCode = await backendAction(action, args, flags as BackendFlags);
      } catch (error) {
        // Usage, event and config errors keep exit code 2 via the CLI's own handler; a service problem is exit 1.
        if (error instanceof FlowError && error.code !== "backend") throw error;
        console.error(`error: ${describeError(error)}`);
        if (parsed.debug && error instanceof Error && error.stack) console.error(error.stack);
        process.exitCode = 1;
      }
    });
}
