import { z } from 'zod';

/** Percentiles interpolate linearly between the closest ranks of the sorted values (Hyndman & Fan definition 7, stats/percentile.ts). */
export const Summary = z.strictObject({
  n: z.number().int().positive().describe('Number of values summarised.'),
  mean: z.number().describe('Arithmetic mean.'),
  /** Sample standard deviation (n - 1 denominator); 0 for a single value. */
  stddev: z.number().nonnegative().describe('Sample standard deviation (n - 1 denominator); 0 for a single value.'),
  min: z.number().describe('Smallest value.'),
  p50: z.number().describe('Median: 50th percentile, by linear interpolation between the closest ranks (Hyndman & Fan type 7).'),
  p90: z.number().describe('90th percentile, by linear interpolation between the closest ranks (Hyndman & Fan type 7).'),
  p99: z
    .number()
    .describe(
      '99th percentile, by linear interpolation between the closest ranks (Hyndman & Fan type 7); with 100 values or fewer it lies between the two largest.',
    ),
  max: z.number().describe('Largest value.'),
});
export type Summary = z.infer<typeof Summary>;
