import { z } from 'zod';
import { MetricName } from './budget.ts';

export const TrendPoint = z.strictObject({
  runId: z.string(),
  /** When the run started (ISO): points are in this order. */
  startedAt: z.string(),
  commit: z.string().optional(),
  branch: z.string().optional(),
  value: z.number(),
  /** The report's own run, which the history does not hold yet (it is added to the series, not to the file). */
  notInHistory: z.literal(true).optional(),
});
export type TrendPoint = z.infer<typeof TrendPoint>;

export const TrendChangePoint = z.strictObject({
  /** Index in `points` of the first run after the change. */
  index: z.number().int().nonnegative(),
  runId: z.string(),
  commit: z.string().optional(),
  branch: z.string().optional(),
  /** Mean after over mean before, minus one, within the segment E-divisive split. */
  relativeChange: z.number(),
  /** Whether the metric moved the wrong way (slower, bigger, less accurate). */
  worse: z.boolean(),
  pValue: z.number(),
  /** "p50 latency on host / int8 stepped up 7.9% at 3f2a9c1e0b7d (run ...)". */
  description: z.string(),
});
export type TrendChangePoint = z.infer<typeof TrendChangePoint>;

export const TrendSeries = z.strictObject({
  metric: MetricName,
  unit: z.enum(['ms', 'bytes', 'share', 'tokens/s', 'mJ', 'W', 'nats']),
  higherIsBetter: z.boolean(),
  suite: z.string(),
  device: z.string(),
  variant: z.string(),
  /** Oldest first; at most `maxRunsPerSeries`, the most recent. */
  points: z.array(TrendPoint),
  /** Runs of the series left out because they are older than the last `maxRunsPerSeries`. */
  olderRunsLeftOut: z.number().int().nonnegative(),
  changePoints: z.array(TrendChangePoint),
});
export type TrendSeries = z.infer<typeof TrendSeries>;

/** A report's trends: every series of the history that one of the report's cells continues. */
export const Trends = z.strictObject({
  historyFile: z.string(),
  /** Cells stored in the history file, all series together. */
  storedCells: z.number().int().nonnegative(),
  minPointsForChangePoints: z.number().int().positive(),
  maxRunsPerSeries: z.number().int().positive(),
  minRelativeChange: z.number().nonnegative(),
  series: z.array(TrendSeries),
});
export type Trends = z.infer<typeof Trends>;
