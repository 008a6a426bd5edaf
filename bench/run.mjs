// `npm run bench`: every benchmark, each a ratio against a baseline measured in the same run.
import { benchBackend } from "./backend.mjs";
import { benchCore } from "./core.mjs";
import { benchSchemas } from "./schemas.mjs";

const rounds = Number(process.env.BENCH_ROUNDS ?? 30);
console.log(`codex-flows benchmarks (${rounds} interleaved rounds, medians)`);
await benchCore(rounds);
await benchBackend(rounds);
await benchSchemas(rounds);
