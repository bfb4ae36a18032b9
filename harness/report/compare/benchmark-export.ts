import type { LatencyMetric, Metric } from '../../core/metric.ts';
import type { CellResult, Results } from '../../core/results.ts';

/** One entry of github-action-benchmark's customSmallerIsBetter JSON (the file is an array of these). */
export interface GithubActionBenchmarkEntry {
  name: string;
  unit: string;
  value: number;
  /** Free text shown with the value (the action's "results' variance"). */
  range?: string;
  /** Free text shown in the chart tooltip. */
  extra?: string;
}

/** Bencher Metric Format: benchmark name -> measure slug -> metric. */
export type BencherMetricFormat = Record<string, Record<string, BencherMetric>>;
export interface BencherMetric {
  value: number;
  lower_value?: number;
  upper_value?: number;
}

const NANOSECONDS_PER_MS = 1e6;

/**
 * The candidate run for github-action-benchmark (tool: customSmallerIsBetter):
 * latency p50/p90/p99, TTFT p50, load time in ms and peak RSS in bytes for
 * every cell that completed. A metric that was not obtained is left out; an
 * estimated one is kept and says so in `extra`. Failed cells are left out, so
 * a chart never plots a partial measurement as a data point.
 */
export function githubActionBenchmark(results: Results): GithubActionBenchmarkEntry[] {
  return completedCells(results).flatMap((cell) => {
    const prefix = `${results.suite.name} ${cell.deviceId} ${cell.variant.name}`;
    return [
      ...percentileEntries(`${prefix} latency`, cell.metrics.latencyMs, ['p50', 'p90', 'p99']),
      ...(cell.metrics.ttftMs ? percentileEntries(`${prefix} ttft`, cell.metrics.ttftMs, ['p50']) : []),
      ...scalarEntry(`${prefix} load time`, cell.metrics.loadMs),
      ...scalarEntry(`${prefix} peak RSS`, cell.metrics.peakRssBytes),
    ];
  });
}

function percentileEntries(name: string, metric: LatencyMetric, percentiles: ('p50' | 'p90' | 'p99')[]): GithubActionBenchmarkEntry[] {
  if (metric.source !== 'measured') return [];
  const { summary } = metric;
  const extra = `n=${summary.n}, min ${summary.min.toFixed(3)} ms, max ${summary.max.toFixed(3)} ms; ${metric.method}`;
  return percentiles.map((p) => ({ name: `${name} ${p}`, unit: 'ms', value: summary[p], extra }));
}

function scalarEntry(name: string, metric: Metric): GithubActionBenchmarkEntry[] {
  if (metric.source === 'unavailable') return [];
  const extra = metric.source === 'measured' ? metric.method : `estimated from ${metric.from}`;
  return [{ name, unit: metric.unit, value: metric.value, extra }];
}

/**
 * The candidate run in Bencher Metric Format, one benchmark per cell named
 * "<suite> <device> <variant>". Durations are in nanoseconds, the unit of
 * Bencher's built-in `latency` measure, so `latency`, `ttft` and `load-time`
 * share it; `peak-rss` is in bytes. For `latency` and `ttft`, value is the
 * median (p50) and lower_value / upper_value the fastest and slowest measured
 * iteration. BMF has no place to say a value was estimated, so only measured
 * values are exported; failed cells are left out.
 */
export function bencherMetricFormat(results: Results): BencherMetricFormat {
  const benchmarks: BencherMetricFormat = {};
  for (const cell of completedCells(results)) {
    const measures: Record<string, BencherMetric> = {};
    const latency = latencyMeasure(cell.metrics.latencyMs);
    if (latency) measures['latency'] = latency;
    const ttft = cell.metrics.ttftMs ? latencyMeasure(cell.metrics.ttftMs) : undefined;
    if (ttft) measures['ttft'] = ttft;
    if (cell.metrics.loadMs.source === 'measured') measures['load-time'] = { value: nanoseconds(cell.metrics.loadMs.value) };
    if (cell.metrics.peakRssBytes.source === 'measured') measures['peak-rss'] = { value: cell.metrics.peakRssBytes.value };
    if (Object.keys(measures).length > 0) benchmarks[`${results.suite.name} ${cell.deviceId} ${cell.variant.name}`] = measures;
  }
  return benchmarks;
}

function latencyMeasure(metric: LatencyMetric): BencherMetric | undefined {
  if (metric.source !== 'measured') return undefined;
  const { summary } = metric;
  return { value: nanoseconds(summary.p50), lower_value: nanoseconds(summary.min), upper_value: nanoseconds(summary.max) };
}

/** Whole nanoseconds: the clocks behind these values do not resolve less, and it avoids 1234500.0000000002. */
const nanoseconds = (ms: number) => Math.round(ms * NANOSECONDS_PER_MS);

const completedCells = (results: Results): CellResult[] => results.cells.filter((cell) => cell.status === 'ok');
