import { z } from 'zod';
import { METRICS } from '../compare/metrics.ts';
import { METRIC_NAMES, MetricName } from '../config/budget.ts';
import type { Results } from '../results/schema.ts';
import { historyEntries, type HistoryEntry } from './store.ts';
import { seriesKey, seriesOf, stepsIn } from './trends.ts';

/** E-divisive needs this many values on either side of a change (its default minimum segment). */
const MIN_SEGMENT = 3;
/** Fewest runs in a series for a change point to be possible at all. */
export const MIN_POINTS_FOR_CHANGE_POINTS = 2 * MIN_SEGMENT;
/**
 * The most recent runs of a series a report looks at. E-divisive's cost grows
 * with the square of the series; a hundred runs keep a report with forty
 * series per metric within a second or two, and older steps are in `history show`.
 */
export const DEFAULT_MAX_RUNS_PER_SERIES = 100;

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
  unit: z.enum(['ms', 'bytes', 'share', 'tokens/s', 'mJ', 'W']),
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

/**
 * The series of the history that the report's runs continue, matched the way
 * `history show` splits them (suite, dataset hash, device and its facts,
 * variant), each with its E-divisive change points. A run of the report that
 * is not stored yet joins its series in date order, marked as such, so the
 * page shows where this run stands against the past.
 */
export function buildTrends(input: { historyFile: string; entries: HistoryEntry[]; runs: Results[]; maxRunsPerSeries?: number; minRelativeChange?: number }): Trends {
  const maxRuns = input.maxRunsPerSeries ?? DEFAULT_MAX_RUNS_PER_SERIES;
  const minRelativeChange = input.minRelativeChange ?? 0.02;
  const stored = new Set(input.entries.map((e) => e.runId));
  const current = input.runs.flatMap((run) => historyEntries(run, {}));
  const wanted = new Set(current.map(seriesKey));
  const added = current.filter((e) => !stored.has(e.runId));
  const addedRuns = new Set(added.map((e) => e.runId));
  const relevant = [...input.entries.filter((e) => wanted.has(seriesKey(e))), ...added];

  const series = METRIC_NAMES.flatMap((metric) =>
    seriesOf(relevant, metric).map((whole) => {
      const points = whole.points.slice(-maxRuns);
      const kept = { ...whole, points };
      const steps = stepsIn([kept], { minRelativeChange, minSegment: MIN_SEGMENT });
      return {
        metric,
        unit: METRICS[metric].unit,
        higherIsBetter: METRICS[metric].higherIsBetter,
        suite: whole.suite,
        device: whole.device,
        variant: whole.variant,
        points: points.map((p) => ({ ...p, ...(addedRuns.has(p.runId) ? { notInHistory: true as const } : {}) })),
        olderRunsLeftOut: whole.points.length - points.length,
        changePoints: steps.map((step) => ({
          index: points.indexOf(step.at),
          runId: step.at.runId,
          ...(step.at.commit ? { commit: step.at.commit } : {}),
          ...(step.at.branch ? { branch: step.at.branch } : {}),
          relativeChange: step.relativeChange,
          worse: METRICS[metric].higherIsBetter ? step.relativeChange < 0 : step.relativeChange > 0,
          pValue: step.pValue,
          description: step.summary,
        })),
      };
    }),
  );
  return { historyFile: input.historyFile, storedCells: input.entries.length, minPointsForChangePoints: MIN_POINTS_FOR_CHANGE_POINTS, maxRunsPerSeries: maxRuns, minRelativeChange, series };
}
