import { z } from 'zod';

/** Percentiles are nearest-rank over the sorted values (stats/percentile.ts). */
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
