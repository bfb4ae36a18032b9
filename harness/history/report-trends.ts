import type { Trends } from '../core/trends.ts';
import { METRICS } from '../compare/metrics.ts';
import { METRIC_NAMES } from '../core/budget.ts';
import type { Results } from '../core/results.ts';
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

/**
 * The series of the history that the report's runs continue, matched the way
 * `history show` splits them (suite, dataset hash, device and its facts,
 * variant), each with its E-divisive change points. A run of the report that
 * is not stored yet joins its series in date order, marked as such, so the
 * page shows where this run stands against the past.
 */
export function buildTrends(input: {
  historyFile: string;
  entries: HistoryEntry[];
  runs: Results[];
  maxRunsPerSeries?: number;
  minRelativeChange?: number;
}): Trends {
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
  return {
    historyFile: input.historyFile,
    storedCells: input.entries.length,
    minPointsForChangePoints: MIN_POINTS_FOR_CHANGE_POINTS,
    maxRunsPerSeries: maxRuns,
    minRelativeChange,
    series,
  };
}
