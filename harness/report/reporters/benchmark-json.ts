import type { LatencyMetric, Metric } from '../../core/metric.ts';
import type { CellResult, Results } from '../../core/results.ts';
import type { Reporter } from './reporter.ts';
import { writeReportFile } from './report-file.ts';

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

/** Every run's cells for github-action-benchmark, in one array (give one run to chart it over commits). */
export const benchmarkJsonReporter = {
  name: 'benchmark-json',
  description: "each run's measured latency, TTFT, load time and peak RSS for github-action-benchmark (tool: customSmallerIsBetter)",
  fileName: 'benchmark.json',
  async write(report, out) {
    await writeReportFile(benchmarkJsonReporter, out, `${JSON.stringify(report.runs.flatMap(githubActionBenchmark), null, 1)}\n`);
  },
} satisfies Reporter<'benchmark-json'>;

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

const completedCells = (results: Results): CellResult[] => results.cells.filter((cell) => cell.status === 'ok');
