// The backend's clock: fires every schedule's ticks as FlowEvents through the service's intake, and catches up after downtime.
import { describeError } from "../core/errors.js";
import type { FlowEvent, ScheduleDefinition } from "../core/types.js";
import type { FlowCatalog } from "../engine/flow-catalog.js";
import { MAX_CATCH_UP, nextTicks, tickEvent, ticksBetween } from "../engine/schedules.js";
import { noteSchedule } from "../store/note-schedule.js";
import { recordScheduleTick } from "../store/record-schedule-tick.js";
import { skipScheduleTicks } from "../store/skip-schedule-ticks.js";
import type { Database } from "../store/sqlite.js";

/**
 * The longest sleep between looks: flows edited while the service runs (a schedule added, a cron
 * changed) are picked up within it. A look costs a few stat calls when nothing changed.
 */
const MAX_SLEEP_MS = 1_000;
/**
 * A wake-up this much later than planned means the process was frozen (a suspended laptop, a stopped
 * container), not merely busy: the ticks in between were missed as if the service had been down.
 */
const STALL_MS = 60_000;

export interface SchedulerOptions {
  db: Database;
  catalog: FlowCatalog;
  /** The service's intake (idempotent by event id); resolves with `duplicate` for an event seen before. */
  dispatch: (event: FlowEvent) => Promise<{ status: string; runIds: string[] }>;
  log: (line: string) => void;
}

export class Scheduler {
  /** `<flow>/<schedule>` -> the newest tick (ms) dealt with by this process. Absent: not looked at since start. */
  private readonly cursors = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private expectedWake = 0;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  /** Stops the clock; resolves once a look in progress (and the dispatches it started) is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.looking;
  }

  private wake(): void {
    this.looking = this.look()
      .catch((error) => {
        this.options.log(`error: schedules: ${describeError(error)}`);
        return Date.now() + MAX_SLEEP_MS;
      })
      .then((nextAt) => {
        if (this.stopped) return;
        // A few ms past the tick: a timer due at the tick itself may wake a hair before Date.now() reaches it.
        const delay = Math.min(MAX_SLEEP_MS, Math.max(0, nextAt - Date.now()) + 5);
        this.expectedWake = Date.now() + delay;
        this.timer = setTimeout(() => this.wake(), delay);
      });
  }

  /** Fires what is due for every schedule; returns when the next tick of any is (ms). */
  private async look(): Promise<number> {
    const now = Date.now();
    const stalled = this.expectedWake > 0 && now - this.expectedWake > STALL_MS;
    let nextAt = now + MAX_SLEEP_MS;
    for (const flow of this.options.catalog.current().flows) {
      for (const schedule of flow.schedules) {
        if (this.stopped) return nextAt;
        await this.fireDue(flow.name, schedule, now, stalled);
        const next = nextTicks(schedule, new Date(now), 1)[0];
        if (next) nextAt = Math.min(nextAt, next.getTime());
      }
    }
    return nextAt;
  }

  private async fireDue(flow: string, schedule: ScheduleDefinition, now: number, stalled: boolean): Promise<void> {
    const key = `${flow}/${schedule.name}`;
    let cursor = this.cursors.get(key);
    let due: Date[];
    if (cursor === undefined || stalled) {
      // Whatever came due since the store last dealt with this schedule passed while the service was down.
      cursor ??= noteSchedule(this.options.db, flow, schedule.name, now).checkedThrough;
      due = this.missed(flow, schedule, cursor, now);
    } else {
      // Up and running: every tick since the last look fires, however late this look is.
      due = ticksBetween(schedule, new Date(cursor), new Date(now), MAX_CATCH_UP);
    }
    for (const tick of due) {
      if (!(await this.fire(flow, schedule, tick))) {
        // Not accepted (a full disk, say): this tick and the later ones are tried again at the next look.
        this.cursors.set(key, tick.getTime() - 1);
        return;
      }
    }
    this.cursors.set(key, now);
  }

  /** The missed ticks in (after, now] that `catch_up` fires; the others are recorded as skipped. */
  private missed(flow: string, schedule: ScheduleDefinition, after: number, now: number): Date[] {
    const limit = schedule.catchUp === "all" ? MAX_CATCH_UP : 1;
    const ticks = schedule.catchUp === "none" ? [] : ticksBetween(schedule, new Date(after), new Date(now), limit);
    const any = ticksBetween(schedule, new Date(after), new Date(now), 1);
    if (any.length === 0) return [];
    const skippedThrough = ticks.length > 0 ? (ticks[0] as Date).getTime() - 1 : now;
    if (skippedThrough > after) skipScheduleTicks(this.options.db, flow, schedule.name, skippedThrough);
    const policy = schedule.catchUp === "all" ? `all (at most ${MAX_CATCH_UP})` : schedule.catchUp;
    this.options.log(
      `schedule ${flow}/${schedule.name}: missed tick(s) since ${new Date(after).toISOString()}; catch_up = ${policy}: firing ${ticks.length}`,
    );
    return ticks;
  }

  /** Fires one tick; false when the intake did not take it (logged). */
  private async fire(flow: string, schedule: ScheduleDefinition, tick: Date): Promise<boolean> {
    const event = tickEvent(flow, schedule, tick, new Date());
    let outcome: { status: string; runIds: string[] };
    try {
      outcome = await this.options.dispatch(event);
    } catch (error) {
      this.options.log(
        `error: schedule ${flow}/${schedule.name}: tick ${tick.toISOString()} not fired: ${describeError(error)}`,
      );
      return false;
    }
    recordScheduleTick(this.options.db, {
      flow,
      name: schedule.name,
      tickAt: tick.getTime(),
      eventId: event.id,
      firedAt: Date.now(),
    });
    const what =
      outcome.status === "duplicate" ? "already accepted before (not run again)" : `${outcome.runIds.length} run(s)`;
    this.options.log(`schedule ${flow}/${schedule.name}: tick ${tick.toISOString()} fired event ${event.id}: ${what}`);
    return true;
  }
}
