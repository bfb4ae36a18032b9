import { Suite } from '../../harness/core/suite.ts';
import { measured } from '../../harness/core/metric.ts';
import { Results, type CellResult } from '../../harness/core/results.ts';
import { summarize } from '../../harness/stats/summary.ts';
import { gaussian, seededRandom } from '../../scripts/demo/random.ts';

/** Latencies around `medianMs` with 5% log-normal spread, seeded. */
export function latencies(count: number, medianMs: number, seed: number): number[] {
  const normal = gaussian(seededRandom(seed));
  return Array.from({ length: count }, () => medianMs * Math.exp(0.05 * normal()));
}

export interface CellSpec {
  deviceId?: string;
  variant: string;
  samples: number[];
  /** Split the samples evenly over this many runner processes (in order), as a run with repeats does. */
  repeats?: number;
  peakRssBytes?: number;
  /** Per-example correctness, for accuracy comparisons. */
  correct?: boolean[];
  sha256?: string;
}

export function cell(spec: CellSpec): CellResult {
  const stamp = new Date(0).toISOString();
  const correct = spec.correct;
  return {
    deviceId: spec.deviceId ?? 'host',
    variant: {
      name: spec.variant,
      precision: 'fp32',
      file: `${spec.variant}.onnx`,
      files: [{ path: 'model.onnx', bytes: 100, sha256: 'f' }],
      diskBytes: 100,
      sha256: spec.sha256 ?? spec.variant,
    },
    status: 'ok',
    startedAt: stamp,
    finishedAt: stamp,
    runtime: { node: 'v20', onnxruntime: '1.30.0', platform: 'linux', arch: 'x64' },
    warmupLatenciesMs: [],
    ...(spec.repeats
      ? {
          repeats: Array.from({ length: spec.repeats }, (_, i) => ({
            repeat: i + 1,
            status: 'ok' as const,
            startedAt: stamp,
            finishedAt: stamp,
            loadMs: 10,
            peakRssBytes: spec.peakRssBytes ?? 100e6,
          })),
        }
      : {}),
    samples: spec.samples.map((latencyMs, index) => {
      const perRepeat = Math.ceil(spec.samples.length / (spec.repeats ?? 1));
      return { iteration: index % perRepeat, exampleId: `e${index % 10}`, latencyMs, ...(spec.repeats ? { repeat: 1 + Math.floor(index / perRepeat) } : {}) };
    }),
    outputs: [],
    metrics: {
      latencyMs: { source: 'measured', unit: 'ms', method: 'test', summary: summarize(spec.samples) },
      loadMs: measured(10, 'ms', 'test'),
      peakRssBytes: measured(spec.peakRssBytes ?? 100e6, 'bytes', 'test'),
      rssBeforeLoadBytes: measured(50e6, 'bytes', 'test'),
      modelRssBytes: measured((spec.peakRssBytes ?? 100e6) - 50e6, 'bytes', 'test'),
      diskBytes: measured(100, 'bytes', 'test'),
    },
    ...(correct
      ? {
          quality: {
            unscored: [],
            agreement: {
              metric: 'accuracy' as const,
              n: correct.length,
              value: correct.filter(Boolean).length / correct.length,
              ci95: { lower: 0, upper: 1 },
              method: 'test',
              perExample: correct.map((ok, i) => ({ exampleId: `x${i}`, score: ok ? 1 : 0 })),
            },
          },
        }
      : {}),
  };
}

export function results(cells: CellSpec[], options: { runId?: string; datasetSha256?: string; suite?: Partial<Record<string, unknown>> } = {}): Results {
  const suite = Suite.parse({
    name: 'synthetic',
    task: 'classify',
    dataset: 'd.jsonl',
    variants: [{ name: 'v', precision: 'fp32', file: 'v.onnx' }],
    ...options.suite,
  });
  return Results.parse({
    schemaVersion: 1,
    tool: { name: 'edgebench', version: '0.1.0' },
    runId: options.runId ?? 'run',
    status: 'complete',
    startedAt: new Date(0).toISOString(),
    suite: {
      name: suite.name,
      file: 'suite.yaml',
      task: suite.task,
      warmup: 1,
      iterations: 1,
      timeoutSeconds: 60,
      runtime: suite.runtime,
      dataset: { file: 'd.jsonl', sha256: options.datasetSha256 ?? 'data', examples: 10 },
      budgets: suite.budgets,
      compare: suite.compare,
    },
    devices: [
      {
        id: 'host',
        kind: 'local',
        class: 'mid',
        facts: { cpuModel: 'cpu', logicalCores: 2, physicalCores: 2, memoryBytes: 1, os: 'linux', kernel: '6', arch: 'x64', source: 'test' },
      },
    ],
    cells: cells.map(cell),
  });
}
