// Finding a step's processes through Linux /proc: its process group, its lineage (descendants by
// ancestry), and any process that left both but still carries the step's tag in its environment.
import { readFileSync } from "node:fs";
import { type Lineage, readProcesses } from "./lineage.js";

/** Every step process gets this variable, with a value unique to the step's spawn. */
export const PROCESS_TAG_VARIABLE = "CODEX_FLOWS_PROCESS_TAG";

function carriesTag(pid: number, marker: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, "latin1").includes(marker);
  } catch {
    return false; // gone, or another user's process
  }
}

/**
 * Live (non-zombie) processes of the group led by `pgid`, and outside it the live members of its
 * lineage (updated from this scan) and, when `tag` is given, processes whose environment holds the
 * tag. Undefined where there is no /proc to read.
 */
export function stepProcesses(
  pgid: number,
  lineage: Lineage | undefined,
  tag?: string,
): { inGroup: number[]; escaped: number[] } | undefined {
  const processes = readProcesses();
  if (!processes) return undefined;
  lineage?.update(processes);
  const found = { inGroup: [] as number[], escaped: [] as number[] };
  for (const info of processes.values()) {
    if (info.pgrp === pgid && info.state !== "Z" && info.pid !== process.pid) found.inGroup.push(info.pid);
  }
  const known = new Set(found.inGroup);
  for (const pid of lineage?.living(processes) ?? []) {
    if (!known.has(pid) && pid !== process.pid) {
      found.escaped.push(pid);
      known.add(pid);
    }
  }
  if (tag !== undefined) {
    const marker = `${PROCESS_TAG_VARIABLE}=${tag}\0`;
    for (const info of processes.values()) {
      if (known.has(info.pid) || info.state === "Z" || info.pid === process.pid) continue;
      if (carriesTag(info.pid, marker)) found.escaped.push(info.pid);
    }
  }
  return found;
}
