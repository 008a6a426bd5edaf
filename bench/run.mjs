// `npm run bench`: every benchmark, each a ratio against a baseline measured in the same run.
import { benchBackend } from "./backend.mjs";
import { benchCore } from "./core.mjs";

const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
console.log(`codex-flows benchmarks (${rounds} interleaved rounds, medians)`);
// BENCH_ONLY=P5,P7 runs a subset (each benchmark file picks its own ids).
const only = process.env.BENCH_ONLY?.split(",");
if (!only || only.includes("P1") || only.includes("P2")) await benchCore(rounds);
await benchBackend(rounds);
