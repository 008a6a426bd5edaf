// `codex-flows backend serve`: starts the service, prints the URL it listens on, and stops cleanly on SIGTERM.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BackendError, describeError } from "../core/errors.js";
import { killAllGroupsNow } from "../process/process-tree.js";
import type { ServeConfig } from "./config.js";
import { createRequestHandler, type HandlerState } from "./http-handler.js";
import { BackendService } from "./service.js";

export interface RunningBackend {
  url: string;
  service: BackendService;
  server: Server;
  /** Stops accepting, lets running steps finish within the grace period, closes the store. */
  stop(): Promise<void>;
  /** Cuts a stop's grace period short: running steps' trees are killed now (stop() still finishes the job). */
  stopStepsNow(): Promise<void>;
}

const log = (line: string) => console.error(`[backend] ${line}`);

/**
 * Connection limits. Headers come in one packet on any sane link, so 5 s is generous, and a client
 * that trickles them (slowloris) is cut off; a whole request (a body up to the limit) gets 2 minutes.
 * Node checks these every `connectionsCheckingInterval` (30 s by default, which would let a 5 s limit
 * run to 35 s), so the check runs every second. The answer itself may take longer (replay --wait).
 */
export const HEADERS_TIMEOUT_MS = 5_000;
export const REQUEST_TIMEOUT_MS = 120_000;
const CHECK_INTERVAL_MS = 1_000;

function listen(server: Server, config: ServeConfig): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new BackendError(`cannot listen on ${config.host}:${config.port} (${error.code ?? error.message})`, {
          hint: error.code === "EADDRINUSE" ? "another process uses that port: pick another with --port" : undefined,
          cause: error,
        }),
      ),
    );
    server.listen(config.port, config.host, () => resolve(server.address() as AddressInfo));
  });
}

export async function startBackend(config: ServeConfig, cliPath?: string): Promise<RunningBackend> {
  const service = await BackendService.open(config, { log, cliPath });
  const state: HandlerState = { stopping: false };
  const handler = createRequestHandler(service, log, state);
  const server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    handler,
  );
  // `Expect: 100-continue` (curl sends it for bodies over 1 MiB): a body that is declared too large is
  // refused before the client is told to send it.
  server.on("checkContinue", (request, response) => {
    if (!(Number(request.headers["content-length"] ?? 0) > config.bodyLimit)) response.writeContinue();
    void handler(request, response);
  });
  // Clients such as the CLI keep connections alive between polls; idle ones should not hold a shutdown up.
  server.keepAliveTimeout = 5_000;
  let address: AddressInfo;
  try {
    address = await listen(server, config);
  } catch (error) {
    await service.close(0);
    throw error;
  }
  // Only now: nothing may start (or be recovered) before the service can be reached.
  service.start();
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      state.stopping = true;
      // The port stays open through the grace period: a client gets a clear 503 "stopping" instead of a
      // refused connection, and a remote worker can still heartbeat and report the runs it holds.
      server.closeIdleConnections();
      await service.close(config.graceMs);
      state.closed = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    })();
    return stopping;
  };
  return { url, service, server, stop, stopStepsNow: () => service.stopStepsNow() };
}

/** Signals that stop the service. SIGHUP (a closed terminal) too: unhandled, it would kill the service and orphan its steps. */
const STOP_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * The CLI entry: runs until SIGTERM, SIGINT or SIGHUP. Every signal path stops the steps' process
 * trees before the process ends, since steps run in their own groups and would outlive it: the first
 * signal gives them the grace period, a second one kills them now (SIGTERM, then SIGKILL after 2 s)
 * and still records them as interrupted, and a third SIGKILLs them at once and exits 1.
 */
export async function serveCommand(config: ServeConfig, cliPath?: string): Promise<number> {
  const backend = await startBackend(config, cliPath);
  const auth = config.secret === undefined ? "no secret (loopback only)" : "signed requests required";
  // The handlers go in before the URL is printed: whoever waits for that line may signal at once, and
  // a signal before them would kill the service the default way, leaving its steps behind.
  const stopped = new Promise<number>((resolve) => {
    let signals = 0;
    const finish = (code: number) => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals) => {
      signals += 1;
      if (signals === 1) {
        log(`${signal}: no new work; waiting up to ${config.graceMs} ms for running steps`);
        backend
          .stop()
          .then(() => {
            log("stopped");
            finish(0);
          })
          .catch((error) => {
            log(`error while stopping: ${describeError(error)}`);
            finish(1);
          });
      } else if (signals === 2) {
        log(`${signal} again: not waiting any longer; killing the running steps' process trees`);
        backend.stopStepsNow().catch((error) => log(`error while killing steps: ${describeError(error)}`));
      } else {
        log(
          `${signal} a third time: killing every step process now and exiting; their runs are recovered at the next start`,
        );
        killAllGroupsNow();
        process.exit(1);
      }
    };
    for (const name of STOP_SIGNALS) process.on(name, onSignal);
  });
  console.log(`codex-flows backend listening on ${backend.url}`);
  log(
    `project ${config.cwd}; data dir ${config.dataDir}; executor ${config.executor}; concurrency ${config.concurrency}; ${auth}`,
  );
  return stopped;
}
