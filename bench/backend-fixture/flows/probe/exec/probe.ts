// Writes the wall-clock time (sub-millisecond) at which its first line ran to $PROBE_DIR/<event id or PROBE_ID>.
import { writeFileSync } from "node:fs";

const startedAt = performance.timeOrigin + performance.now();
const name = process.env.CODEX_FLOW_EVENT_ID ?? process.env.PROBE_ID ?? "probe";
writeFileSync(`${process.env.PROBE_DIR}/${encodeURIComponent(name)}`, String(startedAt));
console.log(`FLOW_RESULT ${JSON.stringify({ status: "completed" })}`);
