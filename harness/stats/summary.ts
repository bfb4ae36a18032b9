import { z } from 'zod';
import { percentileOfSorted, sortAscending } from './percentile.ts';

export const Summary = z.strictObject({
  n: z.number().int().positive(),
  mean: z.number(),
  /** Sample standard deviation (n - 1 denominator); 0 for a single value. */
  stddev: z.number().nonnegative(),
  min: z.number(),
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  max: z.number(),
});
export type Summary = z.infer<typeof Summary>;

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
  const mean = sum / n;
  // Two-pass variance: numerically stable for latencies that vary little around a large mean.
  let squares = 0;
  for (const v of sorted) squares += (v - mean) ** 2;
  const variance = n > 1 ? squares / (n - 1) : 0;
  return {
    n,
    mean,
    stddev: Math.sqrt(variance),
    min: sorted[0]!,
    p50: percentileOfSorted(sorted, 0.5),
    p90: percentileOfSorted(sorted, 0.9),
    p99: percentileOfSorted(sorted, 0.99),
    max: sorted[n - 1]!,
  };
}
