// `codex-flows worker`: its flags; the action loads the worker loop and the HTTP transport only when it runs.
import type { CAC } from "cac";
import { rawFlag } from "./backend-command.js";
import { projectDir } from "./project-dir.js";
import type { WorkerFlags } from "./worker-config.js";

export function registerWorker(cli: CAC): void {
  cli
    .command(
      "worker",
      "Run steps for a backend: claim its queued runs over HTTP and execute them from this project's flows",
    )
    .option("--url <url>", "Backend URL (default CODEX_FLOW_BACKEND_URL, else http://127.0.0.1:7345)")
    .option("--convex <url>", "Lease from a Convex app's wrapper functions instead (default CODEX_FLOW_CONVEX_URL)")
    .option("--convex-secret <secret>", "The Convex app's service secret (default CODEX_FLOW_CONVEX_SECRET)")
    .option("--convex-module <name>", "The app module with the wrappers (default CODEX_FLOW_CONVEX_MODULE, else flows)")
    .option("--secret <secret>", "Shared HMAC secret (default CODEX_FLOW_BACKEND_SECRET)")
    .option("--concurrency <n>", "Steps running at once (default CODEX_FLOW_WORKER_CONCURRENCY, else 4)")
    .option("--worker-id <id>", "This worker's id in run records (default worker:<host>:<pid>:<random>)")
    .option("--once", "Exit once nothing this worker can run is ready (exit 1 if a run it ran failed)")
    .option("--grace-ms <ms>", "How long SIGTERM waits for running steps before giving them back (default 30000)")
    .option("--executor <name>", "direct or systemd-run (default CODEX_FLOW_WORKER_EXECUTOR, else direct)")
    .option("--state-dir <dir>", "systemd-run: folder for event and result files (default <cwd>/.codex/flow-worker)")
    .action(async (parsed: WorkerFlags & Record<string, unknown>) => {
      // Text flags as typed: cac turns "0x1f" or "1e3" into numbers.
      const flags: WorkerFlags = { ...parsed };
      for (const name of [
        "url",
        "secret",
        "workerId",
        "executor",
        "stateDir",
        "cwd",
        "convex",
        "convexSecret",
        "convexModule",
      ] as const) {
        const raw = rawFlag(process.argv, name);
        if (raw !== undefined) flags[name] = raw;
      }
      flags.cwd = projectDir(flags);
      const [{ resolveWorkerConfig }, { workerCommand }] = await Promise.all([
        import("./worker-config.js"),
        import("./worker.js"),
      ]);
      process.exitCode = await workerCommand(resolveWorkerConfig(flags));
    });
}
