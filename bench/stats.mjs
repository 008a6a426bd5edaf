// Small statistics for benchmarks: medians of interleaved samples, so machine noise hits both sides alike.

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest rank: the smallest value with at least p% of the samples at or below it (p99 of 100 is the 99th). */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Runs each case `rounds` times, alternating between cases each round; returns ms samples per case. */
export async function interleave(cases, rounds, warmup = 3) {
  const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  for (let round = -warmup; round < rounds; round++) {
    for (const [name, fn] of Object.entries(cases)) {
      const start = performance.now();
      await fn();
      if (round >= 0) samples[name].push(performance.now() - start);
    }
  }
  return samples;
}

/** One line: `ID name: ratio (target) measured/baseline medians`. */
export function report(id, name, ratio, target, detail) {
  const ok = target.test(ratio) ? "ok" : "MISSED";
  console.log(`${id} ${name}: ratio ${ratio.toFixed(3)} (target ${target.label}) ${ok}  [${detail}]`);
}

/** One line for a latency measured against a baseline: `ID name: +X ms over baseline (target)`. */
export function reportExcess(id, name, excessMs, target, detail) {
  const ok = target.test(excessMs) ? "ok" : "MISSED";
  console.log(
    `${id} ${name}: ${excessMs.toFixed(1)} ms over bare spawn (target ${target.label} ms) ${ok}  [${detail}]`,
  );
}

export const atMost = (limit) => ({ label: `<= ${limit}`, test: (value) => value <= limit });
export const atLeast = (limit) => ({ label: `>= ${limit}`, test: (value) => value >= limit });

/** One line for a figure with an absolute target: `ID name: 3.2 ms (target < 10 ms) ok  [baseline ...]`. */
export function reportValue(id, name, value, unit, target, detail) {
  const ok = target.test(value) ? "ok" : "MISSED";
  console.log(`${id} ${name}: ${value.toFixed(1)} ${unit} (target ${target.label} ${unit}) ${ok}  [${detail}]`);
}

export const below = (limit) => ({ label: `< ${limit}`, test: (value) => value < limit });
