import { describe, expect, it } from 'vitest';
import { bencherMetricFormat } from '../../../harness/report/reporters/bencher-json.ts';
import { githubActionBenchmark } from '../../../harness/report/reporters/benchmark-json.ts';
import { measured, unavailable } from '../../../harness/core/metric.ts';
import { Results, type CellResult } from '../../../harness/core/results.ts';

const MiB = 1024 * 1024;
const at = new Date(0).toISOString();
const summary = (p50: number) => ({ n: 100, mean: p50 * 1.1, stddev: p50 / 10, min: p50 * 0.9, p50, p90: p50 * 1.2, p99: p50 * 1.5, max: p50 * 2 });

function cell(deviceId: string, variant: string, fields: Partial<CellResult> = {}): CellResult {
  return {
    deviceId,
    variant: {
      name: variant,
      precision: 'int8',
      file: `${variant}.onnx`,
      files: [{ path: `${variant}.onnx`, bytes: 1, sha256: 'x' }],
      diskBytes: 1,
      sha256: variant,
    },
    status: 'ok',
    startedAt: at,
    finishedAt: at,
    warmupLatenciesMs: [],
    samples: [],
    outputs: [],
    metrics: {
      latencyMs: { source: 'measured', unit: 'ms', method: 'performance.now', summary: summary(12.3456) },
      loadMs: measured(250.5, 'ms', 'performance.now around session creation'),
      peakRssBytes: measured(300 * MiB, 'bytes', 'getrusage maxrss'),
      rssBeforeLoadBytes: measured(100 * MiB, 'bytes', 'process.memoryUsage'),
      modelRssBytes: measured(200 * MiB, 'bytes', 'peak minus before load'),
      diskBytes: measured(1, 'bytes', 'stat'),
    },
    ...fields,
  };
}

const base = cell('pixel-7', 'int8').metrics;
const results = Results.parse({
  schemaVersion: 1,
  tool: { name: 'edgebench', version: '0.1.0' },
  runId: 'cand-2',
  status: 'complete',
  startedAt: at,
  finishedAt: at,
  suite: {
    name: 'demo',
    file: 'suites/demo.yaml',
    task: 'generate',
    warmup: 10,
    iterations: 100,
    timeoutSeconds: 600,
    runtime: {},
    dataset: { file: 'data.jsonl', sha256: 'x', examples: 4 },
    budgets: [],
    compare: {},
  },
  devices: [
    { id: 'pixel-7', kind: 'local' },
    { id: 'host', kind: 'local' },
  ],
  cells: [
    cell('pixel-7', 'int8', { metrics: { ...base, ttftMs: { source: 'measured', unit: 'ms', method: 'first token', summary: summary(40) } } }),
    // Latency not obtained, peak RSS only estimated.
    cell('host', 'int4', {
      metrics: {
        ...base,
        latencyMs: { source: 'unavailable', unit: 'ms', reason: 'no samples' },
        peakRssBytes: { source: 'estimated', value: 280 * MiB, unit: 'bytes', from: 'model size' },
        loadMs: unavailable('ms', 'not reported'),
      },
    }),
    cell('host', 'fp32', { status: 'failed', error: { code: 'TIMEOUT', message: 'cell ran longer than 600 s' } }),
  ],
});

describe('githubActionBenchmark (customSmallerIsBetter)', () => {
  const entries = githubActionBenchmark(results);

  it('is an array of {name, unit, value[, range][, extra]} with unique names', () => {
    for (const entry of entries) {
      expect(Object.keys(entry).every((k) => ['name', 'unit', 'value', 'range', 'extra'].includes(k))).toBe(true);
      expect(typeof entry.name).toBe('string');
      expect(typeof entry.unit).toBe('string');
      expect(Number.isFinite(entry.value)).toBe(true);
    }
    expect(new Set(entries.map((e) => e.name)).size).toBe(entries.length);
    expect(JSON.parse(JSON.stringify(entries))).toEqual(entries);
  });

  it('exports latency p50/p90/p99, TTFT p50, load time and peak RSS of a complete cell', () => {
    const pixel = entries.filter((e) => e.name.startsWith('demo pixel-7 int8 '));
    expect(pixel.map((e) => [e.name, e.unit, e.value])).toEqual([
      ['demo pixel-7 int8 latency p50', 'ms', 12.3456],
      ['demo pixel-7 int8 latency p90', 'ms', 12.3456 * 1.2],
      ['demo pixel-7 int8 latency p99', 'ms', 12.3456 * 1.5],
      ['demo pixel-7 int8 ttft p50', 'ms', 40],
      ['demo pixel-7 int8 load time', 'ms', 250.5],
      ['demo pixel-7 int8 peak RSS', 'bytes', 300 * MiB],
    ]);
    expect(pixel[0]!.extra).toBe('n=100, min 11.111 ms, max 24.691 ms; performance.now');
  });

  it('skips unavailable metrics, labels estimated ones and leaves out failed cells', () => {
    const host = entries.filter((e) => e.name.startsWith('demo host '));
    expect(host).toEqual([{ name: 'demo host int4 peak RSS', unit: 'bytes', value: 280 * MiB, extra: 'estimated from model size' }]);
  });
});

describe('bencherMetricFormat', () => {
  const bmf = bencherMetricFormat(results);

  it('maps benchmark name -> measure slug -> {value, lower_value?, upper_value?} with numbers only', () => {
    for (const measures of Object.values(bmf)) {
      for (const metric of Object.values(measures)) {
        expect(Object.keys(metric).every((k) => ['value', 'lower_value', 'upper_value'].includes(k))).toBe(true);
        for (const v of Object.values(metric)) expect(Number.isFinite(v)).toBe(true);
      }
    }
  });

  it('latency and ttft in nanoseconds: p50 with the fastest and slowest iteration; load time in ns and peak RSS in bytes', () => {
    expect(bmf['demo pixel-7 int8']).toEqual({
      latency: { value: 12_345_600, lower_value: 11_111_040, upper_value: 24_691_200 },
      ttft: { value: 40_000_000, lower_value: 36_000_000, upper_value: 80_000_000 },
      'load-time': { value: 250_500_000 },
      'peak-rss': { value: 300 * MiB },
    });
  });

  it('exports measured values only, and no failed cell', () => {
    // host/int4 has no latency, no load time and only an estimated peak RSS; host/fp32 failed.
    expect(Object.keys(bmf)).toEqual(['demo pixel-7 int8']);
  });
});
