// `codex-flows worker`: runs steps for a backend over HTTP, from the flows in its own project folder.
import { realpathSync } from "node:fs";
import { join } from "node:path";
import { BackendClient } from "../client/backend-client.js";
import { HttpLeaseProtocol } from "../client/http-lease-protocol.js";
import { ConvexLeaseProtocol, convexCaller } from "../convex/convex-lease-protocol.js";
import { describeError } from "../core/errors.js";
import { FlowCatalog } from "../engine/flow-catalog.js";
import { killAllGroupsNow } from "../process/process-tree.js";
import { killOrphansOfDeadWorkers } from "../process/reap-orphans.js";
import { capabilitiesOf } from "../worker/capabilities.js";
import { directExecutor } from "../worker/executors/direct.js";
import { systemdRunExecutor } from "../worker/executors/systemd-run.js";
import type { LeaseProtocol } from "../worker/lease-protocol.js";
import { claimRunner } from "../worker/run-claim.js";
import { startSpawnHelper } from "../worker/spawn-helper.js";
import { WorkerLoop } from "../worker/worker-loop.js";
import { EXIT_INTERRUPTED } from "./interrupt.js";
import type { WorkerConfig } from "./worker-config.js";

/** Long enough that an idle worker sends a claim about twice a minute; the backend answers at once when work comes. */
const CLAIM_WAIT_MS = 20_000;

/** The transport `config` names: a Convex app's wrappers (--convex), else the backend over HTTP. */
async function protocolFor(config: WorkerConfig): Promise<{ protocol: LeaseProtocol; where: string }> {
  const { convex } = config;
  if (!convex) {
    return { protocol: new HttpLeaseProtocol(new BackendClient(config.client)), where: config.client.url };
  }
  const caller = await convexCaller(convex.url);
  return {
    protocol: new ConvexLeaseProtocol({ caller, secret: convex.secret, module: convex.module }),
    where: convex.url,
  };
}

/**
 * `transport` replaces the one `config` names (tests hand in the Convex transport over convex-test,
 * which no URL reaches).
 */
export async function workerCommand(
  config: WorkerConfig,
  cliPath?: string,
  transport?: LeaseProtocol,
): Promise<number> {
  const log = (line: string) => console.error(`[worker ${config.workerId}] ${line}`);
  killOrphansOfDeadWorkers(realpathSync(config.cwd), log);
  const catalog = new FlowCatalog(config.cwd);
  const executor =
    config.executor === "systemd-run"
      ? systemdRunExecutor({ cwd: config.cwd, dataDir: config.stateDir, cliPath: cliPath ?? process.argv[1] ?? "" })
      : directExecutor;
  const capabilities = capabilitiesOf(catalog);
  const chosen = transport
    ? { protocol: transport, where: config.convex?.url ?? config.client.url }
    : await protocolFor(config);
  const { protocol } = chosen;
  const controlPlane = config.convex ? `the Convex app at ${chosen.where}` : `the backend at ${chosen.where}`;
  const first = await capabilities();
  const loop = new WorkerLoop({
    protocol,
    workerId: config.workerId,
    concurrency: config.concurrency,
    capabilities,
    runClaim: claimRunner({
      catalog,
      executor,
      workerId: config.workerId,
      eventFile: (claim) => join(config.stateDir, "events", `${claim.runId}-${claim.attemptNumber}.json`),
    }),
    claimWaitMs: CLAIM_WAIT_MS,
    controlPlane,
    log,
    once: config.once,
    onSettled: (claim, _outcome, answer) =>
      log(
        `run ${claim.runId} (${claim.flow}/${claim.step}) ${answer.retrying ? "failed; retry queued" : answer.status}`,
      ),
  });
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) {
      // A second signal does not wait: every step's process tree gets SIGKILL, and the leases run out.
      killAllGroupsNow();
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = true;
    log(`${signal}: no new runs; waiting up to ${config.graceMs} ms for ${loop.running} running step(s)`);
    loop.stop(config.graceMs).catch((error) => log(`error while stopping: ${describeError(error)}`));
  };
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, onSignal);
  // Printed once the handlers are in: whoever waits for this line may signal at once.
  const flows = first.flows === "*" ? "any" : first.flows.join(", ") || "none";
  log(
    `polling ${chosen.where} for runs; project ${config.cwd}; flows: ${flows}; runners: ${first.runners.join(", ")}; concurrency ${config.concurrency}`,
  );

  const stopSpawnHelper = startSpawnHelper(config.cwd, log);
  try {
    await loop.start();
    await loop.idle();
  } finally {
    // Its pipes would otherwise keep the process alive after an error.
    await stopSpawnHelper();
  }
  for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.off(signal, onSignal);
  log("stopped");
  // A stop asked for by a signal is the normal end of a service's life: exit 0, as `backend serve` does.
  if (interrupted) return 0;
  if (loop.claimFailed) return 1;
  return loop.runFailed ? 1 : 0;
}
