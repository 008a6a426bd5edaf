// The lease protocol's contract suite (test/lease-protocol-suite.ts) over SQLite in-process and HTTP; Convex runs it in test/convex-contract.test.ts.
import { expect, onTestFinished, test } from "vitest";
import { resolveServeConfig } from "../src/backend/config.js";
import { startBackend as startService } from "../src/backend/serve.js";
import { BackendService } from "../src/backend/service.js";
import { BackendClient } from "../src/client/backend-client.js";
import { HttpLeaseProtocol } from "../src/client/http-lease-protocol.js";
import { getRun } from "../src/store/get-run.js";
import { copyFixture, tempDir } from "./helpers.js";
import {
  type ContractRun,
  type ContractSetup,
  type ControlPlane,
  claimOne,
  describeLeaseProtocol,
  event,
  LEASE_MS,
} from "./lease-protocol-suite.js";

interface LocalPlane extends ContractSetup {
  service: BackendService;
}

/** The local backend's service as the suite's control plane. */
function localPlane(service: BackendService): ControlPlane {
  return {
    dispatch: (event) => service.dispatch(event),
    cancel: (runId) => service.cancel(runId, 10_000),
    readRun: async (runId) => getRun(service.db, runId) as ContractRun | undefined,
    countTransactions: () => {
      let transactions = 0;
      const original = service.db.transaction.bind(service.db);
      service.db.transaction = ((fn: never) => {
        transactions += 1;
        return original(fn);
      }) as typeof service.db.transaction;
      return () => {
        service.db.transaction = original;
        return transactions;
      };
    },
  };
}

/** A control plane that runs nothing itself, with a short lease so expiry can be watched. */
function serveConfig(secret?: string) {
  const settings = { concurrency: 0, leaseMs: LEASE_MS, retryBackoffMs: 0, port: 0, secret };
  return resolveServeConfig({ cwd: copyFixture("backend-basic"), dataDir: tempDir(), ...settings }, {});
}

const transports: Record<string, () => Promise<LocalPlane>> = {
  sqlite: async () => {
    const service = await BackendService.open(serveConfig(), { log: () => {} });
    service.start();
    onTestFinished(() => service.close(0));
    return { protocol: service.protocol, service, plane: localPlane(service) };
  },
  http: async () => {
    // With a secret: every call is signed, and claims are single-use, as a real deployment runs.
    const backend = await startService(serveConfig("contract-secret"));
    onTestFinished(() => backend.stop());
    const client = new BackendClient({ url: backend.url, secret: "contract-secret" });
    return { protocol: new HttpLeaseProtocol(client), service: backend.service, plane: localPlane(backend.service) };
  },
};

for (const [name, open] of Object.entries(transports)) describeLeaseProtocol(name, open);

test("over HTTP, an output chunk with an impossible time is refused (400), so the run stays readable", async () => {
  const { protocol, service } = await (transports.http as () => Promise<LocalPlane>)();
  await service.dispatch(event("t1", "demo.blocked"));
  const claim = await claimOne(protocol);
  const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
  await expect(protocol.appendOutput(ref, [{ index: 0, stream: "stdout", text: "x", at: 1e300 }])).rejects.toThrow(
    /chunks\[0\]\.at" must be a time in milliseconds/,
  );
  expect(getRun(service.db, claim.runId)?.output).toEqual([]);
});
