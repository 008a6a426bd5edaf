// `npm run bench`: every benchmark, each a ratio against a baseline measured in the same run.
import { benchBackend } from "./backend.mjs";
import { benchCore } from "./core.mjs";
import { benchScale } from "./scale.mjs";
import { benchSchemas } from "./schemas.mjs";

const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
const started = performance.now();
console.log(`codex-flows benchmarks (${rounds} interleaved rounds, medians)`);
// BENCH_ONLY=P5,P7 runs a subset (each benchmark file picks its own ids).
const only = process.env.BENCH_ONLY?.split(",");
const wanted = (...ids) => !only || ids.some((id) => only.includes(id));
if (wanted("P1", "P2")) await benchCore(rounds);
if (wanted("P3", "P4", "P5", "P7")) await benchBackend(rounds);
if (wanted("P6")) await benchScale(rounds);
if (wanted("P8")) await benchSchemas(rounds);
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
