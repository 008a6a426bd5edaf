// The `codex-flows backend` actions: serve, exec-step and backup work locally; the rest ask the service over HTTP.
import { resolveLocation, resolveServeConfig, type ServeFlags } from "../backend/config.js";
import { BackendClient, pathSegment } from "../client/backend-client.js";
import { UsageError } from "../core/errors.js";
import type { SkippedStep } from "../core/types.js";
import { readEvent } from "../engine/event.js";
import { EXIT_OK } from "../engine/exit-code.js";
import type { EventRecord, RunDetail, RunRecord } from "../wire/records.js";
import { formatEventDetail, formatEventLine, formatRunDetail, formatRunLine, formatSkipped } from "./backend-format.js";
import { EXIT_INTERRUPTED } from "./interrupt.js";
import { openInBrowser } from "./open-browser.js";

export interface BackendFlags extends ServeFlags {
  json?: boolean;
  url?: string;
  event?: string;
  wait?: boolean;
  type?: string;
  limit?: unknown;
  eventId?: string;
  status?: string;
  result?: string;
  out?: string;
  olderThan?: unknown;
  flow?: string;
  step?: string;
  resultFile?: string;
  print?: boolean;
  follow?: boolean;
  quiet?: boolean;
}

const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

function query(values: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

interface Accepted {
  status: string;
  eventId: string;
  runIds: string[];
  matched: number;
  skipped?: SkippedStep[];
  replay?: number;
}

async function reportAccepted(client: BackendClient, flags: BackendFlags, answer: Accepted, verb: string) {
  const { waitWithOutput, waitedReport } = await import("./backend-logs.js");
  if (flags.wait && !flags.json) console.log(acceptedLine(answer, verb));
  // Output goes to stderr as it comes (unless --quiet or --json); the report follows on stdout.
  const waited = flags.wait
    ? await waitWithOutput(client, answer.eventId, answer.runIds, flags.quiet === true)
    : undefined;
  if (flags.wait && !waited) return EXIT_INTERRUPTED;
  const report = waited && waitedReport(waited);
  if (flags.json) {
    print(waited ? { ...answer, runs: waited.runs, chainedRuns: waited.chained } : answer);
  } else {
    if (!flags.wait) console.log(acceptedLine(answer, verb));
    // Steps of other event types are noise unless nothing ran at all; a payload that failed a schema never is.
    const skipped = (answer.skipped ?? []).filter(
      (skip) => answer.runIds.length === 0 || !skip.reason.startsWith("type differs"),
    );
    for (const line of formatSkipped(skipped)) console.log(line);
    for (const line of report?.lines ?? []) console.log(line);
    if (!report) for (const id of answer.runIds) console.log(`  ${id}`);
  }
  return report ? report.code : EXIT_OK;
}

function acceptedLine(answer: Accepted, verb: string): string {
  const count =
    answer.status === "duplicate"
      ? `already stored; existing run(s): ${answer.runIds.length}`
      : `${answer.runIds.length} run(s) queued`;
  return `${verb} event ${answer.eventId}: ${count}`;
}

function oneArg(args: string[], what: string, action: string): string {
  if (args.length !== 1 || !args[0]) {
    throw new UsageError(`backend ${action} takes exactly one ${what}`, {
      hint: `codex-flows backend ${action} <${what}>`,
    });
  }
  return args[0];
}

export async function backendAction(action: string, args: string[], flags: BackendFlags): Promise<number> {
  if (action === "serve") {
    const { serveCommand } = await import("../backend/serve.js");
    return serveCommand(resolveServeConfig(flags));
  }
  if (action === "exec-step") {
    const { execStep } = await import("../worker/exec-step.js");
    const need = (value: string | undefined, flag: string) => {
      if (!value) throw new UsageError(`backend exec-step needs --${flag}`);
      return value;
    };
    return execStep({
      cwd: resolveLocation({ cwd: flags.cwd }).cwd,
      flow: need(flags.flow, "flow"),
      step: need(flags.step, "step"),
      eventFile: need(flags.event, "event"),
      resultFile: need(flags.resultFile, "result-file"),
    });
  }
  if (action === "backup") {
    if (!flags.out)
      throw new UsageError("backend backup needs --out DIR", { hint: "codex-flows backend backup --out DIR" });
    const { backupDataDir } = await import("../backend/backup-data-dir.js");
    const report = await backupDataDir(resolveLocation({ cwd: flags.cwd, dataDir: flags.dataDir }).dataDir, flags.out);
    if (flags.json) print(report);
    else console.log(`backed up ${report.events} event(s) and the database to ${report.out}`);
    return EXIT_OK;
  }
  if (action === "prune") {
    if (flags.olderThan === undefined) {
      throw new UsageError("backend prune needs --older-than DURATION", {
        hint: "e.g. codex-flows backend prune --older-than 30d (units: s, m, h, d, w)",
      });
    }
    const [{ parseDuration }, { pruneLines }] = await Promise.all([
      import("./duration.js"),
      import("./prune-lines.js"),
    ]);
    const olderThan = parseDuration(flags.olderThan, "--older-than");
    const { pruneDataDir } = await import("../backend/prune-data-dir.js");
    const dataDir = resolveLocation({ cwd: flags.cwd, dataDir: flags.dataDir }).dataDir;
    const report = await pruneDataDir(dataDir, olderThan);
    if (flags.json) print(report);
    else for (const line of pruneLines(report, String(flags.olderThan))) console.log(line);
    return EXIT_OK;
  }

  const client = BackendClient.fromFlags(flags);
  switch (action) {
    case "dispatch": {
      if (!flags.event) throw new UsageError("backend dispatch needs --event FILE", { hint: "--event - reads stdin" });
      const event = await readEvent(flags.event);
      const { body } = await client.send<Accepted>("POST", "/events", event);
      return reportAccepted(client, flags, body, body.status === "duplicate" ? "duplicate" : "accepted");
    }
    case "replay-event": {
      const id = oneArg(args, "event-id", action);
      const { body } = await client.send<Accepted>("POST", `/events/${pathSegment(id)}/replay`, {});
      return reportAccepted(client, flags, body, `replay ${body.replay ?? ""} of`);
    }
    case "list-events": {
      const { body } = await client.send<{ events: EventRecord[] }>(
        "GET",
        `/events${query({ limit: flags.limit, type: flags.type })}`,
      );
      if (flags.json) print(body);
      else if (body.events.length === 0) console.log("no events stored");
      else for (const event of body.events) console.log(formatEventLine(event));
      return EXIT_OK;
    }
    case "show-event": {
      const id = oneArg(args, "event-id", action);
      const { body } = await client.send<{ event: EventRecord; runs: RunRecord[] }>(
        "GET",
        `/events/${pathSegment(id)}`,
      );
      if (flags.json) print(body);
      else for (const line of formatEventDetail(body.event, body.runs)) console.log(line);
      return EXIT_OK;
    }
    case "list-runs": {
      const { body } = await client.send<{ runs: RunRecord[] }>(
        "GET",
        `/runs${query({ eventId: flags.eventId, status: flags.status, result: flags.result, limit: flags.limit })}`,
      );
      if (flags.json) print(body);
      else if (body.runs.length === 0) console.log("no runs match");
      else for (const run of body.runs) console.log(formatRunLine(run));
      return EXIT_OK;
    }
    case "show-run": {
      const id = oneArg(args, "run-id", action);
      const { body } = await client.send<{ run: RunDetail }>("GET", `/runs/${pathSegment(id)}`);
      if (flags.json) print(body);
      else for (const line of formatRunDetail(body.run)) console.log(line);
      return EXIT_OK;
    }
    case "logs": {
      const id = oneArg(args, "run-id", action);
      const { logsCommand } = await import("./backend-logs.js");
      return logsCommand(client, id, flags.follow === true);
    }
    case "cancel-run": {
      const id = oneArg(args, "run-id", action);
      const { body } = await client.send<{ run: RunRecord }>("POST", `/runs/${pathSegment(id)}/cancel`, {});
      if (flags.json) print(body);
      else console.log(formatRunLine(body.run));
      return EXIT_OK;
    }
    case "open": {
      if (args.length > 0)
        throw new UsageError("backend open takes no arguments", { hint: "codex-flows backend open" });
      // Signed and single-use like any state-changing request; without a secret the service answers "/".
      const { body } = await client.send<{ path: string; expiresAt: string | null }>("POST", "/sessions/link", {});
      const link = `${client.config.url.replace(/\/+$/, "")}${body.path}`;
      const opened = !flags.print && openInBrowser(link);
      if (flags.json) print({ url: link, expiresAt: body.expiresAt, opened });
      else {
        console.log(link);
        const expiry = body.expiresAt ? `; the link works once, until ${body.expiresAt}` : "";
        console.error(
          opened ? `opening the dashboard in the browser${expiry}` : `open this link in a browser${expiry}`,
        );
      }
      return EXIT_OK;
    }
    default:
      throw new UsageError(`unknown backend action "${action}"`, {
        hint: "one of serve, dispatch, list-events, show-event, list-runs, show-run, logs, replay-event, cancel-run, open, backup",
      });
  }
}
