import type { LatencyMetric } from '../../core/metric.ts';
import type { CellResult, Results } from '../../core/results.ts';
import type { Reporter } from './reporter.ts';
import { writeReportFile } from './report-file.ts';

/** Bencher Metric Format: benchmark name -> measure slug -> metric. */
export type BencherMetricFormat = Record<string, Record<string, BencherMetric>>;
export interface BencherMetric {
  value: number;
  lower_value?: number;
  upper_value?: number;
}

const NANOSECONDS_PER_MS = 1e6;

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

/** Every run's cells in Bencher Metric Format; a benchmark name in two runs keeps the later run's measures. */
export const bencherJsonReporter = {
  name: 'bencher-json',
  description: "each run's measured latency, TTFT, load time and peak RSS in Bencher Metric Format (bencher run --adapter json)",
  fileName: 'bencher.json',
  async write(report, out) {
    await writeReportFile(bencherJsonReporter, out, `${JSON.stringify(Object.assign({}, ...report.runs.map(bencherMetricFormat)), null, 1)}\n`);
  },
} satisfies Reporter<'bencher-json'>;

function latencyMeasure(metric: LatencyMetric): BencherMetric | undefined {
  if (metric.source !== 'measured') return undefined;
  const { summary } = metric;
  return { value: nanoseconds(summary.p50), lower_value: nanoseconds(summary.min), upper_value: nanoseconds(summary.max) };
}

/** Whole nanoseconds: the clocks behind these values do not resolve less, and it avoids 1234500.0000000002. */
const nanoseconds = (ms: number) => Math.round(ms * NANOSECONDS_PER_MS);

const completedCells = (results: Results): CellResult[] => results.cells.filter((cell) => cell.status === 'ok');
