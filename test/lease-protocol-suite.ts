// The lease protocol's contract, as one suite every transport runs (SQLite, HTTP, Convex): the specification.
import { describe, expect, test } from "vitest";
import type { FlowEvent, FlowResult } from "../src/core/types.js";
import { type Capabilities, type Claim, LeaseLostError } from "../src/wire/protocol.js";
import type { LeaseProtocol } from "../src/worker/lease-protocol.js";
import { eventually } from "./backend-helpers.js";

/** A run as the suite reads it back from the control plane. */
export interface ContractRun {
  status: string;
  resultStatus?: string | null;
  result?: FlowResult | null;
  output: { stream: string; text: string }[];
  attempts: { workerId: string; status: string; error?: string | null }[];
}

/** The control plane behind a transport, as the suite drives it (the backend-basic fixture's flows, 400 ms leases, no backoff). */
export interface ControlPlane {
  dispatch(event: FlowEvent): Promise<unknown>;
  /** Asks to cancel the run; resolves with the run once its worker has reported the end. */
  cancel(runId: string): Promise<{ status: string } | undefined>;
  readRun(runId: string): Promise<ContractRun | undefined>;
  /** Starts counting the control plane's transactions (writes and reads); the returned function stops and tells. */
  countTransactions(): () => number;
}

export interface ContractSetup {
  protocol: LeaseProtocol;
  plane: ControlPlane;
}

export const LEASE_MS = 400;

export const ALL: Capabilities = { runners: ["bun"], flows: "*" };
export const event = (id: string, type: string, payload: unknown = {}): FlowEvent => ({
  id,
  type,
  receivedAt: new Date().toISOString(),
  payload,
});

export async function claimOne(protocol: LeaseProtocol, capabilities = ALL, workerId = "w1"): Promise<Claim> {
  const claim = await protocol.claim({ workerId, capabilities });
  if (!claim) throw new Error("nothing to claim");
  return claim;
}

async function refused(call: Promise<unknown>): Promise<void> {
  await expect(call).rejects.toBeInstanceOf(LeaseLostError);
}

export function describeLeaseProtocol(name: string, open: () => Promise<ContractSetup>): void {
  describe(`lease protocol over ${name}`, () => {
    test("claims come oldest first, only of the worker's runners and flows; none when the queue is empty", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("e1", "demo.echo", { message: "hi" }));
      await plane.dispatch(event("e2", "demo.blocked"));
      const onlyAttention = await claimOne(protocol, { runners: ["bun"], flows: ["attention"] });
      expect([onlyAttention.flow, onlyAttention.step]).toEqual(["attention", "review"]);
      expect(await protocol.claim({ workerId: "w1", capabilities: { runners: ["code-mode"], flows: "*" } })).toBeNull();
      const first = await claimOne(protocol);
      const second = await claimOne(protocol);
      expect([first.step, second.step]).toEqual(["say", "shout"]);
      expect(first).toMatchObject({
        eventId: "e1",
        attemptNumber: 1,
        leaseMs: LEASE_MS,
        event: { id: "e1", payload: { message: "hi" } },
      });
      expect(first.manifestHash).toMatch(/^sha256:[0-9a-f]{16}$/);
      expect(await protocol.claim({ workerId: "w1", capabilities: ALL })).toBeNull();
    });

    test("a waiting claim is answered as soon as a run is queued", async () => {
      const { protocol, plane } = await open();
      const waiting = protocol.claim({ workerId: "w1", capabilities: ALL, waitMs: 20_000 });
      setTimeout(() => void plane.dispatch(event("late", "demo.blocked")), 100);
      expect((await waiting)?.eventId).toBe("late");
    });

    test("every call with another token is refused and changes nothing", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("e1", "demo.blocked"));
      const claim = await claimOne(protocol);
      const stale = { attemptId: claim.attemptId, leaseToken: "0".repeat(32) };
      await refused(protocol.heartbeat(stale));
      await refused(protocol.appendOutput(stale, [{ index: 0, stream: "stdout", text: "forged\n", at: Date.now() }]));
      await refused(protocol.complete(stale, { status: "completed", result: { status: "completed" }, error: null }));
      await refused(protocol.heartbeat({ attemptId: claim.attemptId + 1_000, leaseToken: claim.leaseToken }));
      const run = await plane.readRun(claim.runId);
      expect(run).toMatchObject({ status: "running", output: [], attempts: [{ status: "running" }] });
    });

    test("a lease nobody renews expires; the run is claimed again and the old token is refused", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("f1", "demo.flaky"));
      const first = await claimOne(protocol, ALL, "sleepy");
      const old = { attemptId: first.attemptId, leaseToken: first.leaseToken };
      const second = await eventually(
        () => protocol.claim({ workerId: "w2", capabilities: ALL }).then((c) => c ?? undefined),
        10_000,
        "the re-claim",
      );
      expect(second).toMatchObject({ runId: first.runId, attemptNumber: 2 });
      await refused(protocol.heartbeat(old));
      await refused(protocol.appendOutput(old, [{ index: 0, stream: "stdout", text: "late\n", at: Date.now() }]));
      await refused(protocol.complete(old, { status: "completed", result: { status: "completed" }, error: null }));
      const fresh = { attemptId: second.attemptId, leaseToken: second.leaseToken };
      expect(
        await protocol.complete(fresh, { status: "completed", result: { status: "changed" }, error: null }),
      ).toMatchObject({
        status: "completed",
        duplicate: false,
      });
      expect(await plane.readRun(first.runId)).toMatchObject({
        status: "completed",
        resultStatus: "changed",
        output: [],
        attempts: [
          { workerId: "sleepy", status: "interrupted", error: "interrupted: worker sleepy stopped heartbeating" },
          { workerId: "w2", status: "completed" },
        ],
      });
    });

    test("a heartbeat extends the lease and carries a cancel request; the run ends canceled", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("c1", "demo.blocked"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      const beat = await protocol.heartbeat(ref);
      expect(beat.cancelRequested).toBe(false);
      expect(beat.leaseExpiresAt).toBeGreaterThanOrEqual(claim.leaseExpiresAt);
      const canceling = plane.cancel(claim.runId);
      expect((await protocol.heartbeat(ref)).cancelRequested).toBe(true);
      await protocol.complete(ref, { status: "canceled", result: null, error: "canceled" });
      expect((await canceling)?.status).toBe("canceled");
    });

    test("a second complete is a duplicate and changes nothing", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("d1", "demo.blocked"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      const first = await protocol.complete(ref, {
        status: "completed",
        result: { status: "blocked", message: "once" },
        error: null,
      });
      expect(first).toEqual({ runId: claim.runId, status: "completed", retrying: false, duplicate: false });
      const again = await protocol.complete(ref, {
        status: "failed",
        result: { status: "failed", message: "twice" },
        error: "x",
      });
      expect(again).toMatchObject({ status: "completed", duplicate: true });
      expect(await plane.readRun(claim.runId)).toMatchObject({ status: "completed", result: { message: "once" } });
    });

    test("a complete may carry the last output and claim the next run for the freed slot", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("x1", "demo.blocked"));
      await plane.dispatch(event("x2", "demo.blocked"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      await protocol.appendOutput(ref, [{ index: 0, stream: "stdout", text: "first\n", at: Date.now() }]);
      const answer = await protocol.complete(
        ref,
        { status: "completed", result: { status: "completed" }, error: null },
        {
          output: [{ index: 1, stream: "stdout", text: "last\n", at: Date.now() }],
          claimNext: { workerId: "w1", capabilities: ALL },
        },
      );
      expect(answer.next).toMatchObject({ eventId: "x2", attemptNumber: 1 });
      expect((await plane.readRun(claim.runId))?.output.map((c) => c.text)).toEqual(["first\n", "last\n"]);
      // A resent complete claims nothing more: it gets the first answer's claim back (that answer may
      // have been lost), never a second run for the one freed slot.
      const again = await protocol.complete(
        ref,
        { status: "completed", result: null, error: null },
        {
          claimNext: { workerId: "w1", capabilities: ALL },
        },
      );
      expect(again).toMatchObject({ duplicate: true });
      expect(again.next).toMatchObject({
        runId: answer.next?.runId,
        attemptId: answer.next?.attemptId,
        leaseToken: answer.next?.leaseToken,
      });
    });

    test("a resent complete whose first answer was lost gets back the run that answer claimed, while nobody started it", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("l1", "demo.blocked"));
      await plane.dispatch(event("l2", "demo.blocked"));
      await plane.dispatch(event("l3", "demo.blocked"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      const done = { status: "completed", result: { status: "completed" }, error: null } as const;
      const claimNext = { workerId: "w1", capabilities: ALL };
      // The first answer, and the claim in it, never reach the worker.
      const lost = await protocol.complete(ref, done, { claimNext });
      expect(lost.next).toMatchObject({ eventId: "l2", attemptNumber: 1 });
      const lostNext = lost.next as Claim;
      // Another worker's resend of this attempt's completion is not handed the claim: it is w1's.
      expect(
        (await protocol.complete(ref, done, { claimNext: { ...claimNext, workerId: "w2" } })).next ?? null,
      ).toBeNull();
      // Without claimNext (the worker had a free slot) nothing is handed back either.
      expect((await protocol.complete(ref, done)).next ?? null).toBeNull();
      const retried = await protocol.complete(ref, done, { claimNext });
      expect(retried).toMatchObject({ runId: claim.runId, status: "completed", duplicate: true });
      const next = retried.next as Claim;
      expect(next).toMatchObject({
        runId: lostNext.runId,
        eventId: "l2",
        attemptId: lostNext.attemptId,
        leaseToken: lostNext.leaseToken,
        attemptNumber: 1,
        leaseMs: LEASE_MS,
        event: { id: "l2" },
      });
      expect(next.leaseExpiresAt).toBeGreaterThanOrEqual(lostNext.leaseExpiresAt);
      expect(next.manifestHash).toBe(lostNext.manifestHash);
      // The re-delivered claim is the live one: its token works, and it is the run's only attempt.
      const nextRef = { attemptId: next.attemptId, leaseToken: next.leaseToken };
      await protocol.heartbeat(nextRef);
      expect(await plane.readRun(next.runId)).toMatchObject({ status: "running", attempts: [{ status: "running" }] });
      // Once started (heartbeated), a resend hands it out no more; l3 is still queued for anyone.
      expect((await protocol.complete(ref, done, { claimNext })).next ?? null).toBeNull();
      expect(await claimOne(protocol, ALL, "w2")).toMatchObject({ eventId: "l3" });
    });

    test("a lost answer's claim is not handed back once its lease lapsed and the run was claimed again", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("m1", "demo.blocked"));
      await plane.dispatch(event("m2", "demo.flaky"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      const done = { status: "completed", result: { status: "completed" }, error: null } as const;
      const claimNext = { workerId: "w1", capabilities: ALL };
      const lost = await protocol.complete(ref, done, { claimNext });
      expect(lost.next).toMatchObject({ eventId: "m2" });
      const again = await eventually(
        () => protocol.claim({ workerId: "w2", capabilities: ALL }).then((c) => c ?? undefined),
        10_000,
        "the re-claim after the lease lapsed",
      );
      expect(again).toMatchObject({ runId: lost.next?.runId, attemptNumber: 2 });
      expect((await protocol.complete(ref, done, { claimNext })).next ?? null).toBeNull();
    });

    test("a resent complete of an attempt whose run was retried says the retry was queued", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("r1", "demo.flaky"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      const failed = { status: "failed", result: { status: "failed", message: "boom" }, error: "boom" } as const;
      expect(await protocol.complete(ref, failed)).toMatchObject({ status: "queued", retrying: true });
      await claimOne(protocol, ALL, "w2");
      expect(await protocol.complete(ref, failed)).toMatchObject({ status: "queued", retrying: true, duplicate: true });
    });

    test("a waiting claim does not spin while a run it cannot take is ready", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("other", "demo.blocked"));
      const stopCounting = plane.countTransactions();
      const claim = await protocol.claim({
        workerId: "w1",
        capabilities: { runners: ["bun"], flows: ["echo"] },
        waitMs: 1_000,
      });
      const transactions = stopCounting();
      expect(claim).toBeNull();
      // One claim on arrival and one at the deadline, plus a few for expiry sweeps; a spin is thousands.
      expect(transactions).toBeLessThan(20);
    });

    test("output is stored in order, and a resent batch once", async () => {
      const { protocol, plane } = await open();
      await plane.dispatch(event("o1", "demo.blocked"));
      const claim = await claimOne(protocol);
      const ref = { attemptId: claim.attemptId, leaseToken: claim.leaseToken };
      const chunk = (index: number, text: string, stream = "stdout") => ({ index, stream, text, at: Date.now() });
      await protocol.appendOutput(ref, [chunk(0, "one\n"), chunk(1, "two\n", "stderr")]);
      await protocol.appendOutput(ref, [chunk(2, "three\n")]);
      await protocol.appendOutput(ref, [chunk(1, "two\n", "stderr"), chunk(2, "three\n"), chunk(3, "four\n")]);
      await protocol.complete(ref, { status: "completed", result: { status: "completed" }, error: null });
      const output = (await plane.readRun(claim.runId))?.output ?? [];
      expect(output.map((c) => [c.stream, c.text])).toEqual([
        ["stdout", "one\n"],
        ["stderr", "two\n"],
        ["stdout", "three\n"],
        ["stdout", "four\n"],
      ]);
    });
  });
}
