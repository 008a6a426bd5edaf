// Backend configuration layering (defaults -> CODEX_FLOW_BACKEND_* -> flags) and the signature scheme.
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { resolveServeConfig } from "../src/backend/config.js";
import { rawFlag } from "../src/cli/backend-command.js";
import { resolveClientConfig } from "../src/client/client-config.js";
import { signatureProblem, signBody, signRequest } from "../src/wire/signature.js";

describe("backend config", () => {
  test("defaults, then environment, then flags", () => {
    const defaults = resolveServeConfig({ cwd: "/project" }, {});
    expect(defaults).toMatchObject({
      cwd: "/project",
      dataDir: join("/project", ".codex", "flow-backend"),
      host: "127.0.0.1",
      port: 7345,
      executor: "direct",
      concurrency: 4,
      bodyLimit: 1024 * 1024,
    });
    expect(defaults.secret).toBeUndefined();
    const env = {
      CODEX_FLOW_BACKEND_CWD: "/from-env",
      CODEX_FLOW_BACKEND_DATA_DIR: "/state",
      CODEX_FLOW_BACKEND_HOST: "127.0.0.2",
      CODEX_FLOW_BACKEND_PORT: "8000",
      CODEX_FLOW_BACKEND_SECRET: "env-secret",
      CODEX_FLOW_BACKEND_EXECUTOR: "systemd-run",
      CODEX_FLOW_BACKEND_CONCURRENCY: "2",
    };
    expect(resolveServeConfig({}, env)).toMatchObject({
      cwd: "/from-env",
      dataDir: "/state",
      host: "127.0.0.2",
      port: 8000,
      secret: "env-secret",
      executor: "systemd-run",
      concurrency: 2,
    });
    expect(
      resolveServeConfig({ cwd: "/flag", port: 0, executor: "direct", concurrency: "8", secret: "flag-secret" }, env),
    ).toMatchObject({
      cwd: "/flag",
      dataDir: "/state",
      port: 0,
      executor: "direct",
      concurrency: 8,
      secret: "flag-secret",
    });
  });

  test("a non-loopback host needs a secret or --insecure", () => {
    expect(() => resolveServeConfig({ host: "0.0.0.0" }, {})).toThrow(/refusing to listen on 0\.0\.0\.0/);
    expect(resolveServeConfig({ host: "0.0.0.0", insecure: true }, {}).insecure).toBe(true);
    expect(resolveServeConfig({ host: "0.0.0.0" }, { CODEX_FLOW_BACKEND_SECRET: "x" }).secret).toBe("x");
    expect(resolveServeConfig({ host: "::1" }, {}).host).toBe("::1");
  });

  test("the client finds the service by --url, CODEX_FLOW_BACKEND_URL, or HOST and PORT", () => {
    expect(resolveClientConfig({}, {}).url).toBe("http://127.0.0.1:7345");
    expect(resolveClientConfig({}, { CODEX_FLOW_BACKEND_HOST: "0.0.0.0", CODEX_FLOW_BACKEND_PORT: "9000" }).url).toBe(
      "http://127.0.0.1:9000",
    );
    expect(resolveClientConfig({}, { CODEX_FLOW_BACKEND_URL: "http://127.0.0.1:1/" }).url).toBe("http://127.0.0.1:1");
    expect(resolveClientConfig({ url: "http://localhost:2" }, { CODEX_FLOW_BACKEND_URL: "http://x:1" }).url).toBe(
      "http://localhost:2",
    );
    expect(() => resolveClientConfig({ url: "not a url" }, {})).toThrow(/--url is not a URL/);
  });

  test("text flags are read as typed, not as numbers", () => {
    const argv = ["node", "cli", "backend", "list-runs", "--event-id", "0x10", "--secret=1e3"];
    expect(rawFlag(argv, "eventId")).toBe("0x10");
    expect(rawFlag(argv, "secret")).toBe("1e3");
    expect(rawFlag(argv, "url")).toBeUndefined();
  });
});

describe("signatures", () => {
  const now = 1_700_000_000;
  const body = Buffer.from('{"id":"x","type":"y"}');

  test("body signatures (webhook style) verify only with the same secret and body, where allowed", () => {
    const signature = signBody("k", body);
    const post = { method: "POST", pathAndQuery: "/events", body, signature, now, bodySignatureAllowed: true };
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(signatureProblem("k", post)).toBeUndefined();
    expect(signatureProblem("other", post)).toMatch(/does not match/);
    expect(signatureProblem("k", { ...post, body: Buffer.from("{}") })).toMatch(/does not match/);
    expect(signatureProblem("k", { ...post, pathAndQuery: "/runs/r1/cancel", bodySignatureAllowed: false })).toMatch(
      /POST \/runs\/r1\/cancel needs a request signature \(x-flow-timestamp/,
    );
  });

  test("request signatures bind method, path, time and body", () => {
    const timestamp = String(now);
    const signature = signRequest("k", "GET", "/runs?status=failed", timestamp);
    const request = {
      method: "GET",
      pathAndQuery: "/runs?status=failed",
      body: Buffer.alloc(0),
      signature,
      timestamp,
      now,
      bodySignatureAllowed: false,
    };
    expect(signatureProblem("k", request)).toBeUndefined();
    expect(signatureProblem("k", { ...request, pathAndQuery: "/runs" })).toMatch(/does not match/);
    expect(signatureProblem("k", { ...request, method: "POST" })).toMatch(/does not match/);
    expect(signatureProblem("k", { ...request, now: now + 301 })).toMatch(/within 300 s/);
    expect(signatureProblem("k", { ...request, signature: undefined })).toMatch(/missing x-flow-signature-256/);
    expect(signatureProblem("k", { ...request, signature: "sha256=00" })).toMatch(/does not match/);
  });
});
