// The backend's HTTP API against a real `backend serve` process: every endpoint and every error it promises.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { eventFilePath } from "../src/store/event-files.js";
import { runIdFor } from "../src/store/ids.js";
import { api, eventually, finishedRuns, type Run, startBackend } from "./backend-helpers.js";

const echo = (id: string, message = "hi") => ({ id, type: "demo.echo", payload: { message } });

describe("backend API", () => {
  test("POST /events accepts an event, derives run ids, runs both steps and stores output", async () => {
    const backend = await startBackend();
    expect((await api(backend.url, "GET", "/healthz")).body).toEqual({ ok: true, store: "writable" });

    const accepted = await api(backend.url, "POST", "/events", echo("evt-1"));
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      status: "accepted",
      eventId: "evt-1",
      runIds: [runIdFor("evt-1", "echo", "say"), runIdFor("evt-1", "echo", "shout")],
      matched: 2,
    });
    expect(accepted.body.skipped).toContainEqual({
      flow: "attention",
      step: "review",
      reason: expect.stringContaining("type differs"),
    });

    const runs = await finishedRuns(backend.url, "evt-1", 2);
    expect(runs.map((run) => [run.step, run.status, run.resultStatus])).toEqual([
      ["say", "completed", "completed"],
      ["shout", "completed", "changed"],
    ]);

    const { body } = await api<{ run: Run }>(backend.url, "GET", `/runs/${runs[0]?.id}`);
    expect(body.run).toMatchObject({
      id: runs[0]?.id,
      eventId: "evt-1",
      result: { status: "completed", message: "hi" },
      error: null,
      attempts: [{ number: 1, status: "completed", workerId: expect.stringMatching(/^local:/) }],
    });
    expect(body.run.startedAt).toEqual(expect.any(String));
    expect(body.run.finishedAt).toEqual(expect.any(String));
    const output = body.run.output as { stream: string; text: string }[];
    expect(
      output
        .filter((c) => c.stream === "stdout")
        .map((c) => c.text)
        .join(""),
    ).toContain("said: hi");
    expect(
      output
        .filter((c) => c.stream === "stderr")
        .map((c) => c.text)
        .join(""),
    ).toContain(`note: run ${runs[0]?.id} attempt 1`);

    // The event's JSON file is in <data-dir>/events. It is written behind the 202 (the database is the
    // record), so a fast step can finish before it is there.
    const file = eventFilePath(backend.dataDir, "evt-1");
    await eventually(() => existsSync(file), 5_000, "the event file to be written");
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject(echo("evt-1"));

    // An event whose payload fails a step's schema is stored, runs nothing, and says why.
    const invalid = await api(backend.url, "POST", "/events", { id: "no-message", type: "demo.echo", payload: {} });
    expect(invalid.status).toBe(202);
    expect(invalid.body).toMatchObject({ status: "accepted", runIds: [], matched: 0 });
    expect(invalid.body.skipped).toContainEqual({
      flow: "echo",
      step: "say",
      reason: expect.stringMatching(/payload invalid at .*message/),
    });

    // /flow-events is the same endpoint.
    const alias = await api(backend.url, "POST", "/flow-events", echo("evt-2"));
    expect(alias.status).toBe(202);
    expect(alias.body.runIds).toEqual([runIdFor("evt-2", "echo", "say"), runIdFor("evt-2", "echo", "shout")]);
  });

  test("a duplicate POST starts nothing and answers with the existing run ids", async () => {
    const backend = await startBackend();
    const first = await api(backend.url, "POST", "/events", echo("dup"));
    await finishedRuns(backend.url, "dup", 2);
    const second = await api(backend.url, "POST", "/flow-events", { ...echo("dup"), payload: { message: "other" } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ status: "duplicate", eventId: "dup", runIds: first.body.runIds, matched: 0 });
    const { body } = await api(backend.url, "GET", "/runs?eventId=dup");
    expect(body.runs).toHaveLength(2);
    expect(body.runs.every((run: Run) => run.attemptCount === 1)).toBe(true);
  });

  test("events list newest first, filter by type and limit; odd ids round-trip URL-encoded", async () => {
    const backend = await startBackend();
    const odd = "patchbay:source:entry/with slash?&#%.upstream.release";
    await api(backend.url, "POST", "/events", echo("first"));
    await api(backend.url, "POST", "/events", { id: odd, type: "demo.blocked", payload: {} });
    await api(backend.url, "POST", "/events", { id: "third", type: "nothing.matches" });

    const all = await api(backend.url, "GET", "/events");
    expect(all.body.events.map((e: Run) => e.id)).toEqual(["third", odd, "first"]);
    expect((await api(backend.url, "GET", "/events?limit=1")).body.events.map((e: Run) => e.id)).toEqual(["third"]);
    const typed = await api(backend.url, "GET", "/events?type=demo.blocked");
    expect(typed.body.events.map((e: Run) => e.id)).toEqual([odd]);

    const shown = await api(backend.url, "GET", `/events/${encodeURIComponent(odd)}`);
    expect(shown.status).toBe(200);
    expect(shown.body.event).toMatchObject({ id: odd, type: "demo.blocked", matched: 1, event: { id: odd } });
    expect(shown.body.runs).toHaveLength(1);
    const [blocked] = await finishedRuns(backend.url, odd, 1);
    expect(blocked).toMatchObject({ status: "completed", resultStatus: "blocked" });
    expect((await api(backend.url, "GET", "/runs?result=blocked")).body.runs.map((r: Run) => r.id)).toEqual([
      blocked?.id,
    ]);
    // Event files follow the database in the background (docs/backend.md).
    await eventually(() => existsSync(eventFilePath(backend.dataDir, odd)), 5_000, "the odd id's event file");

    const none = await api(backend.url, "GET", "/events/third");
    expect(none.body).toMatchObject({ event: { id: "third", matched: 0 }, runs: [] });
  });

  test("runs filter by event, status and FLOW_RESULT; a failing step fails its run", async () => {
    const backend = await startBackend();
    await api(backend.url, "POST", "/events", { id: "bad", type: "demo.fail" });
    await api(backend.url, "POST", "/events", echo("good"));
    const [failed] = await finishedRuns(backend.url, "bad", 1);
    await finishedRuns(backend.url, "good", 2);
    expect(failed).toMatchObject({ status: "failed", resultStatus: "failed", error: "this step always fails" });
    expect((await api(backend.url, "GET", "/runs?status=failed")).body.runs.map((r: Run) => r.id)).toEqual([
      failed?.id,
    ]);
    expect((await api(backend.url, "GET", "/runs?status=completed&eventId=good")).body.runs).toHaveLength(2);
    expect((await api(backend.url, "GET", "/runs?limit=1")).body.runs).toHaveLength(1);
    expect((await api(backend.url, "GET", "/runs?result=changed")).body.runs.map((r: Run) => r.step)).toEqual([
      "shout",
    ]);
  });

  test("replay adds new runs for the stored event; wait:true answers when they are done", async () => {
    const backend = await startBackend();
    const first = await api(backend.url, "POST", "/events", echo("again"));
    await finishedRuns(backend.url, "again", 2);

    const replay = await api(backend.url, "POST", "/events/again/replay");
    expect(replay.status).toBe(202);
    expect(replay.body).toMatchObject({ status: "accepted", eventId: "again", replay: 1, matched: 2 });
    expect(replay.body.runIds).toEqual([runIdFor("again", "echo", "say", 1), runIdFor("again", "echo", "shout", 1)]);
    expect(replay.body.runIds).not.toEqual(first.body.runIds);

    const waited = await api(backend.url, "POST", "/events/again/replay", { wait: true });
    expect(waited.status).toBe(200);
    expect(waited.body.replay).toBe(2);
    expect(waited.body.runs.map((run: Run) => [run.status, run.replay])).toEqual([
      ["completed", 2],
      ["completed", 2],
    ]);
    const shown = await api(backend.url, "GET", "/events/again");
    expect(shown.body.event.replays).toBe(2);
    expect(shown.body.runs).toHaveLength(6);
  });

  test("a step with retries = N is retried with backoff until it succeeds", async () => {
    const backend = await startBackend({ args: ["--retry-backoff-ms", "20"] });
    await api(backend.url, "POST", "/events", { id: "flaky", type: "demo.flaky" });
    const [run] = await finishedRuns(backend.url, "flaky", 1);
    expect(run).toMatchObject({ status: "completed", attemptCount: 3, maxAttempts: 3 });
    const { body } = await api(backend.url, "GET", `/runs/${run?.id}`);
    expect(body.run.attempts.map((a: Run) => a.status)).toEqual(["failed", "failed", "completed"]);
    expect(body.run.result.message).toBe("succeeded on attempt 3");
  });

  test("a step's next events are accepted as new events and run", async () => {
    const backend = await startBackend();
    await api(backend.url, "POST", "/events", { id: "c1", type: "demo.chain", payload: { message: "x" } });
    const chainedId = "c1:chain:relay:0";
    const runs = await eventually(async () => {
      const answer = await api(backend.url, "GET", `/events/${encodeURIComponent(chainedId)}`);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(runs.event).toMatchObject({ parentEventId: "c1", depth: 1, event: { payload: { message: "relayed x" } } });
    const done = await finishedRuns(backend.url, chainedId, 2);
    expect(done.map((run) => run.status)).toEqual(["completed", "completed"]);
  });

  test("bad input gets 400/404/405/413 with a reason, and nothing is stored", async () => {
    const backend = await startBackend({ args: ["--body-limit", "4096"] });
    const cases: [string, string, unknown, number, RegExp][] = [
      ["POST", "/events", { type: "demo.echo" }, 400, /"id" is required/],
      ["POST", "/events", { id: "x" }, 400, /"type" is required/],
      ["POST", "/events", { id: 5, type: "demo.echo" }, 400, /"id" must be a non-empty string/],
      ["POST", "/events", { id: "", type: "demo.echo" }, 400, /"id" must be a non-empty string/],
      ["POST", "/events", [1, 2], 400, /JSON object/],
      ["GET", "/events/unknown", undefined, 404, /no event with id "unknown"/],
      ["POST", "/events/unknown/replay", undefined, 404, /no event/],
      ["GET", "/runs/run_nope", undefined, 404, /no run with id "run_nope"/],
      ["POST", "/runs/run_nope/cancel", undefined, 404, /no run/],
      ["PUT", "/events", {}, 405, /PUT is not allowed/],
      ["GET", "/flow-events", undefined, 405, /GET is not allowed/],
      ["DELETE", "/runs/abc", undefined, 405, /not allowed/],
      ["GET", "/runs/abc/cancel", undefined, 405, /not allowed/],
      ["POST", "/healthz", undefined, 405, /GET/],
      ["GET", "/nowhere", undefined, 404, /no endpoint/],
      ["GET", "/events?limit=0", undefined, 400, /"limit"/],
      ["GET", "/events?limit=abc", undefined, 400, /"limit"/],
      ["GET", "/runs?status=done", undefined, 400, /"status" must be one of queued/],
      ["GET", "/runs?result=weird", undefined, 400, /"result"/],
      ["GET", "/events/%E0%A4%A", undefined, 400, /percent-encoding/],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await api(backend.url, method, path, body);
      expect([method, path, answer.status]).toEqual([method, path, status]);
      expect(answer.body.error).toMatch(message);
    }
    const malformed = await api(backend.url, "POST", "/events", undefined, { raw: '{"id": "x", ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error).toMatch(/not valid JSON/);
    const replayBody = await api(backend.url, "POST", "/events/x/replay", { wait: "yes" });
    expect(replayBody.status).toBe(400);

    const big = await api(backend.url, "POST", "/events", {
      id: "big",
      type: "demo.echo",
      payload: { message: "x".repeat(5000) },
    });
    expect(big.status).toBe(413);
    expect(big.body.error).toMatch(/larger than the limit of 4096 bytes/);

    expect((await api(backend.url, "GET", "/events")).body.events).toEqual([]);
    expect((await api(backend.url, "GET", "/runs")).body.runs).toEqual([]);
    expect(backend.stderr()).not.toMatch(/internal error|error:/);
    // The service still works after all that.
    expect((await api(backend.url, "POST", "/events", echo("after"))).status).toBe(202);
  });

  test("the data dir defaults to <cwd>/.codex/flow-backend and holds one service at a time", async () => {
    const backend = await startBackend();
    // The helper passes no --data-dir and no CODEX_FLOW_BACKEND_DATA_DIR unless asked to.
    expect(backend.child.spawnargs).not.toContain("--data-dir");
    expect(existsSync(join(backend.project, ".codex", "flow-backend", "backend.sqlite"))).toBe(true);
    const second = startBackend({ project: backend.project });
    await expect(second).rejects.toThrow(/another codex-flows backend \(pid \d+\) is using this data dir/);
  });
});
