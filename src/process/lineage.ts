// A step's descendants found by ancestry (/proc parent links, sessions, groups), which a step cannot
// clear the way it can clear its environment (`env -i`) or leave its group (`setsid`).
import { readdirSync, readFileSync } from "node:fs";

export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  /** Start time in clock ticks since boot: with the pid, it names one process even after the pid is reused. */
  start: string;
  state: string;
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces). */
function readStat(entry: string): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return {
      pid: Number(entry),
      state: fields[0] ?? "",
      ppid: Number(fields[1]),
      pgrp: Number(fields[2]),
      sid: Number(fields[3]),
      start: fields[19] ?? "",
    };
  } catch {
    return undefined; // gone while we looked
  }
}

/** Every process on the machine by pid, zombies included; undefined where there is no /proc. */
export function readProcesses(): Map<number, ProcessInfo> | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const processes = new Map<number, ProcessInfo>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readStat(entry);
    if (info) processes.set(info.pid, info);
  }
  return processes;
}

/**
 * The processes descended from one step's leader, remembered as they are seen. A child is added
 * while its parent is a known member (same pid and start time, so a reused pid adds nothing); a
 * process in a group or session that a member leads is added even after that member is gone (a pid
 * is not reused while it names a live group or session). What escapes: a process that left the
 * step's group and session and whose parent died before any scan saw it (a double fork completed
 * between two scans), if it also cleared the environment tag.
 */
export class Lineage {
  /** pid -> start time of every member seen. */
  private readonly members = new Map<number, string>();
  /** Group and session ids led by members. */
  private readonly leaders = new Set<number>();

  constructor(readonly leader: number) {
    this.leaders.add(leader);
  }

  /** Adds what `processes` shows of the lineage, to a fixed point, and forgets members that are gone. */
  update(processes: Map<number, ProcessInfo>): void {
    const leader = processes.get(this.leader);
    if (leader && !this.members.has(this.leader)) this.members.set(this.leader, leader.start);
    for (const [pid, start] of this.members) {
      if (processes.get(pid)?.start !== start) this.members.delete(pid);
    }
    let grew = true;
    while (grew) {
      grew = false;
      for (const info of processes.values()) {
        if (this.members.has(info.pid)) continue;
        const parentStart = this.members.get(info.ppid);
        const byParent = parentStart !== undefined && processes.get(info.ppid)?.start === parentStart;
        if (byParent || this.leaders.has(info.pgrp) || this.leaders.has(info.sid)) {
          this.members.set(info.pid, info.start);
          if (info.pgrp === info.pid || info.sid === info.pid) this.leaders.add(info.pid);
          grew = true;
        }
      }
    }
    // A group or session nobody is in any more may be reused by someone else: forget it.
    for (const id of this.leaders) {
      if (id === this.leader) continue;
      let used = false;
      for (const info of processes.values()) {
        if (info.pgrp === id || info.sid === id) {
          used = true;
          break;
        }
      }
      if (!used) this.leaders.delete(id);
    }
  }

  /** Members that are alive (not zombies) in `processes`, the leader excluded. */
  living(processes: Map<number, ProcessInfo>): number[] {
    const found: number[] = [];
    for (const [pid, start] of this.members) {
      const info = processes.get(pid);
      if (pid !== this.leader && info?.start === start && info.state !== "Z") found.push(pid);
    }
    return found;
  }

  /** Whether any member other than the leader may still be alive, by signal 0 only (no /proc scan). */
  mayHaveLiving(): boolean {
    for (const pid of this.members.keys()) {
      if (pid === this.leader) continue;
      try {
        process.kill(pid, 0);
        return true;
      } catch {}
    }
    return false;
  }
}
