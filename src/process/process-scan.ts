// Finding a step's processes through Linux /proc: its process group, plus any process that left the
// group (setsid, a daemonizing tool) but still carries the step's tag in its environment.
import { readdirSync, readFileSync } from "node:fs";

/** Every step process gets this variable, with a value unique to the step's spawn. */
export const PROCESS_TAG_VARIABLE = "CODEX_FLOWS_PROCESS_TAG";

/** Fields of /proc/<pid>/stat after the parenthesised command name: state, ppid, pgrp, ... */
function statOf(pid: string): { state: string; pgrp: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const [state = "", , pgrp = ""] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state, pgrp };
  } catch {
    return undefined; // gone while we looked
  }
}

function carriesTag(pid: string, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").includes(marker);
  } catch {
    return false; // gone, or another user's process
  }
}

/**
 * Live (non-zombie) processes of the group led by `pgid`, and, when `tag` is given, live processes
 * elsewhere whose environment holds the tag. Undefined where there is no /proc to read.
 */
export function stepProcesses(pgid: number, tag?: string): { inGroup: number[]; escaped: number[] } | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const group = String(pgid);
  const marker = tag === undefined ? undefined : `${PROCESS_TAG_VARIABLE}=${tag}\0`;
  const found = { inGroup: [] as number[], escaped: [] as number[] };
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || entry === String(process.pid)) continue;
    const stat = statOf(entry);
    if (!stat || stat.state === "Z") continue;
    if (stat.pgrp === group) found.inGroup.push(Number(entry));
    else if (marker && carriesTag(entry, marker)) found.escaped.push(Number(entry));
  }
  return found;
}
