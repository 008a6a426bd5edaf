// `codex-flows backend serve`: starts the service, prints the URL it listens on, and stops cleanly on SIGTERM.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { BackendError, describeError } from "../core/errors.js";
import type { ServeConfig } from "./config.js";
import { createRequestHandler } from "./http-handler.js";
import { BackendService } from "./service.js";

export interface RunningBackend {
  url: string;
  service: BackendService;
  server: Server;
  /** Stops accepting, lets running steps finish within the grace period, closes the store. */
  stop(): Promise<void>;
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
  const state = { stopping: false };
  const server = createServer(
    {
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    createRequestHandler(service, log, state),
  );
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
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await service.close(config.graceMs);
      server.closeAllConnections();
      await closed;
    })();
    return stopping;
  };
  return { url, service, server, stop };
}

/** The CLI entry: runs until SIGTERM or SIGINT. */
export async function serveCommand(config: ServeConfig, cliPath?: string): Promise<number> {
  const backend = await startBackend(config, cliPath);
  const auth = config.secret === undefined ? "no secret (loopback only)" : "signed requests required";
  console.log(`codex-flows backend listening on ${backend.url}`);
  log(
    `project ${config.cwd}; data dir ${config.dataDir}; executor ${config.executor}; concurrency ${config.concurrency}; ${auth}`,
  );
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log(`${signal}: no new work; waiting up to ${config.graceMs} ms for running steps`);
      backend
        .stop()
        .then(() => {
          log("stopped");
          resolve(0);
        })
        .catch((error) => {
          log(`error while stopping: ${describeError(error)}`);
          resolve(1);
        });
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
}
