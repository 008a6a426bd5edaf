// Against the real stock app-server from @openai/codex (a devDependency): handshake and thread/start work,
// and the missing Code Mode method gets the plain-words error. A temp CODEX_HOME; no login, no network.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { APP_SERVER_ARGS } from "../runners/code-mode/app-server-command.js";
import { isMissingCodeMode } from "../runners/code-mode/app-server-protocol.js";
import { JsonRpcClient } from "../runners/code-mode/json-rpc-client.js";
import { RpcError } from "../src/core/errors.js";
import { normalizeEvent } from "../src/engine/event.js";
import { runStep } from "../src/engine/run-step.js";
import { killGroup, spawnGroup } from "../src/process/process-tree.js";
import { cleanEnv, demoFlow, demoStep } from "./code-mode-helpers.js";
import { ROOT, tempDir } from "./helpers.js";
import { isAlive } from "./process-helpers.js";

const STOCK_CODEX = join(ROOT, "node_modules", ".bin", "codex");

describe("stock Codex app-server (@openai/codex)", () => {
  test("the stock codex binary is installed (devDependency @openai/codex; `npm ci` installs it)", () => {
    expect(existsSync(STOCK_CODEX)).toBe(true);
  });

  test("initialize and thread/start succeed; thread/codeMode/execute is unknown (-32600)", async () => {
    const cwd = tempDir();
    const child = spawnGroup(STOCK_CODEX, [...APP_SERVER_ARGS], {
      cwd,
      env: cleanEnv({ CODEX_HOME: tempDir("codex-home-") }),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.setEncoding("utf8").on("data", (text: string) => {
      stderr += text;
    });
    if (!child.stdout || !child.stdin) throw new Error("no stdio pipes");
    const client = new JsonRpcClient(child.stdout, child.stdin, { defaultTimeoutMs: 20_000 });
    try {
      const hello = await client.request<{ userAgent?: string }>("initialize", {
        clientInfo: { name: "codex-flows", title: "codex-flows", version: "0.0.0-test" },
      });
      expect(hello.userAgent).toMatch(/codex-flows/);
      client.notify("initialized");

      const started = await client.request<{ thread?: { id?: string } }>("thread/start", {
        cwd,
        approvalPolicy: "never",
        sandbox: "workspace-write",
      });
      expect(typeof started.thread?.id).toBe("string");

      const error = await client
        .request("thread/codeMode/execute", { threadId: started.thread?.id, source: 'text("hi")' })
        .then(
          () => undefined,
          (caught: unknown) => caught,
        );
      expect(error).toBeInstanceOf(RpcError);
      expect(error).toMatchObject({ failure: "error-response", rpcCode: -32600 });
      expect((error as RpcError).message).toContain("unknown variant `thread/codeMode/execute`");
      expect(isMissingCodeMode(error)).toBe(true);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- app-server stderr ---\n${stderr}`);
    } finally {
      client.close();
      child.stdin.end();
      await killGroup(child);
    }
    expect(child.pid !== undefined && isAlive(child.pid)).toBe(false);
  });

  test("the runner's error for stock Codex is the plain-words 'no Code Mode' one", async () => {
    const flow = demoFlow();
    const env = cleanEnv({
      CODEX_FLOWS_MODE: "code-mode",
      CODEX_APP_SERVER_CODEX_COMMAND: STOCK_CODEX,
      CODEX_HOME: tempDir("codex-home-"),
    });
    const event = normalizeEvent({ id: "evt-stock", type: "code-mode.demo", payload: { word: "hi" } });
    const run = await runStep(flow, demoStep(flow, "succeed"), event, { env });
    expect(run.status).toBe("failed");
    const message = run.result.message ?? "";
    expect(message).toContain(
      `this Codex build has no Code Mode: the app-server started by \`${STOCK_CODEX} ${APP_SERVER_ARGS.join(" ")}\``,
    );
    expect(message).toContain(
      "does not know thread/codeMode/execute (it answered error -32600: Invalid request: unknown variant",
    );
    expect(message).toContain("set CODEX_APP_SERVER_CODEX_COMMAND=/path/to/codex (a build with Code Mode)");
  });
});
