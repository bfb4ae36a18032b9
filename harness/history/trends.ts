import { metricDefinition } from '../compare/metric-definition.ts';
import type { FixedMetricName } from '../core/budget.ts';
import { eDivisive, type EDivisiveOptions } from '../stats/e-divisive.ts';
import type { HistoryEntry } from './store.ts';

/** One metric of one suite x device x variant over the stored runs, oldest first. */
export interface Series {
  suite: string;
  device: string;
  variant: string;
  metric: FixedMetricName;
  points: { runId: string; startedAt: string; commit?: string; branch?: string; value: number }[];
}

export interface Step {
  series: Series;
  /** The first run after the change. */
  at: Series['points'][number];
  relativeChange: number;
  pValue: number;
  /** "p90 latency on pixel-7 / int8 stepped up 8.1% at 3f2a9c1 (run ...)". */
  summary: string;
}

/**
 * The series an entry belongs to. A series never mixes hardware or inputs:
 * a device whose facts changed, or a dataset that changed, starts a new one.
 * The variant is followed by name, not hash, so a re-quantized model's effect
 * shows as a step in its series rather than as a series of its own.
 */
export function seriesKey(entry: HistoryEntry): string {
  return [entry.suite, entry.datasetSha256, entry.device, entry.deviceFacts, entry.variant].join('\u0000');
}

/** Splits the history into series (see seriesKey), each oldest first. */
export function seriesOf(entries: HistoryEntry[], metric: FixedMetricName): (Series & { key: string })[] {
  const byKey = new Map<string, Series & { key: string }>();
  for (const entry of [...entries].sort((a, b) => a.startedAt.localeCompare(b.startedAt))) {
    const value = entry.metrics[metric];
    if (value === undefined) continue;
    const key = seriesKey(entry);
    if (!byKey.has(key)) byKey.set(key, { key, suite: entry.suite, device: entry.device, variant: entry.variant, metric, points: [] });
    byKey.get(key)!.points.push({
      runId: entry.runId,
      startedAt: entry.startedAt,
      ...(entry.commit ? { commit: entry.commit } : {}),
      ...(entry.branch ? { branch: entry.branch } : {}),
      value,
    });
  }
  return [...byKey.values()];
}

const METRIC_WORDS: Partial<Record<FixedMetricName, string>> = {
  'latency.p50': 'p50 latency',
  'latency.p90': 'p90 latency',
  'latency.p99': 'p99 latency',
  loadMs: 'load time',
  peakRssBytes: 'peak RAM',
  modelRssBytes: 'model RAM',
  diskBytes: 'size on disk',
};

/** The steps (E-divisive change points) in each series that moved the metric by at least `minRelativeChange`. */
export function stepsIn(series: Series[], options: EDivisiveOptions & { minRelativeChange?: number } = {}): Step[] {
  const minimum = options.minRelativeChange ?? 0.02;
  return series.flatMap((s) =>
    eDivisive(
      s.points.map((p) => p.value),
      options,
    ).flatMap((change) => {
      const relativeChange = change.meanAfter / change.meanBefore - 1;
      if (!Number.isFinite(relativeChange) || Math.abs(relativeChange) < minimum) return [];
      const at = s.points[change.index]!;
      const worse = metricDefinition(s.metric).higherIsBetter ? relativeChange < 0 : relativeChange > 0;
      const direction = relativeChange > 0 ? 'up' : 'down';
      const where = at.commit ? `${at.commit.slice(0, 12)} (run ${at.runId})` : `run ${at.runId}`;
      return [
        {
          series: s,
          at,
          relativeChange,
          pValue: change.pValue,
          summary: `${METRIC_WORDS[s.metric] ?? s.metric} on ${s.device} / ${s.variant} stepped ${direction} ${(Math.abs(relativeChange) * 100).toFixed(1)}% at ${where}${worse ? '' : ' (an improvement)'}`,
        },
      ];
    }),
  );
}
