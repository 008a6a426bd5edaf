// A completion that claims the worker's next run (claimNext) on the local store: one commit for both,
// and a claim that fails never takes the completion down with it.
import { expect, test } from "vitest";
import { insertEvent } from "../src/store/insert-event.js";
import { openLocalProtocol } from "./backend-helpers.js";
import { ALL, claimOne } from "./lease-protocol-suite.js";

const done = { status: "completed", result: { status: "completed" }, error: null } as const;
const claimNext = { workerId: "w1", capabilities: ALL };

async function store() {
  const { db, protocol } = await openLocalProtocol();
  const post = (id: string) =>
    insertEvent(db, {
      event: { id, type: "demo.echo", receivedAt: new Date().toISOString(), payload: { message: id } },
      runs: [{ flow: "echo", step: "say", maxAttempts: 1, runner: "bun" }],
      skipped: [],
      now: Date.now(),
    }).runIds[0] as string;
  const status = (runId: string) => db.prepare("SELECT status FROM runs WHERE id = ?").pluck().get(runId);
  return { db, protocol, post, status };
}

test("the completion and the next run's claim are answered together; with nothing queued, next is null", async () => {
  const { protocol, post, status } = await store();
  const first = post("e1");
  const second = post("e2");
  const claim = await claimOne(protocol);
  expect(claim.runId).toBe(first);
  const answer = await protocol.complete(claim, done, { claimNext });
  expect(answer).toMatchObject({ runId: first, status: "completed", duplicate: false, next: { runId: second } });
  expect([status(first), status(second)]).toEqual(["completed", "running"]);
  const last = await protocol.complete(answer.next as NonNullable<typeof answer.next>, done, { claimNext });
  expect(last).toHaveProperty("next", null);
});

test("a claim that fails inside complete undoes only itself: the completion stays, the run stays queued", async () => {
  const { db, protocol, post, status } = await store();
  const first = post("e1");
  const second = post("e2");
  const claim = await claimOne(protocol);
  // A real failure in the claim's own statements: SQLite refuses the attempt row of the second run.
  db.exec(
    `CREATE TRIGGER refuse_claim BEFORE INSERT ON attempts WHEN NEW.run_id = '${second}'
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`,
  );
  const answer = await protocol.complete(claim, done, { claimNext });
  expect(answer).toMatchObject({ runId: first, status: "completed", next: null });
  expect([status(first), status(second)]).toEqual(["completed", "queued"]);
  db.exec("DROP TRIGGER refuse_claim");
  expect((await claimOne(protocol)).runId).toBe(second);
});
