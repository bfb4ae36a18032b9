import type { Summary } from '../core/summary.ts';
import { percentileOfSorted, sortAscending } from './percentile.ts';

/** Location and spread of a sample; percentiles by definition 7 (see percentile.ts). */
export function summarize(values: readonly number[]): Summary {
  return summarizeSorted(sortAscending(values));
}

/** summarize() of values already in ascending order. */
export function summarizeSorted(sorted: ArrayLike<number> & Iterable<number>): Summary {
  const n = sorted.length;
  if (n === 0) throw new RangeError('cannot summarise an empty sample');
  let sum = 0;
  for (const v of sorted) sum += v;
  const plainMean = sum / n;
  // Two-pass variance: numerically stable for latencies that vary little around a large mean.
  let squares = 0;
  for (const v of sorted) squares += (v - plainMean) ** 2;
  const variance = n > 1 ? squares / (n - 1) : 0;
  // Any finite sample has a finite summary: values near Number.MAX_VALUE overflow the sums above, so they are taken again scaled down.
  const { mean, stddev } =
    Number.isFinite(plainMean) && Number.isFinite(variance) ? { mean: plainMean, stddev: Math.sqrt(variance) } : scaledMoments(Array.from(sorted));
  return {
    n,
    mean,
    stddev,
    min: sorted[0]!,
    p50: percentileOfSorted(sorted, 0.5),
    p90: percentileOfSorted(sorted, 0.9),
    p99: percentileOfSorted(sorted, 0.99),
    max: sorted[n - 1]!,
  };
}

/** Mean and sample standard deviation of values divided by the largest magnitude (so every sum stays small), scaled back. */
function scaledMoments(values: readonly number[]): { mean: number; stddev: number } {
  // A loop, not Math.max(...values): spreading 10^5+ values overflows the call stack.
  let scale = 0;
  for (const v of values) scale = Math.max(scale, Math.abs(v));
  const scaled = values.map((v) => v / scale);
  const mean = scaled.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.length > 1 ? scaled.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean: mean * scale, stddev: Math.min(Math.sqrt(variance) * scale, Number.MAX_VALUE) };
}
