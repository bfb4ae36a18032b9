/** Per-round log ratios B/A of real interleaved A/B runs, kept so the sequential test can be replayed on this machine's noise. */
import { readFile } from 'node:fs/promises';
import { METRICS } from '../../harness/compare/metrics.ts';
import type { MetricName } from '../../harness/core/budget.ts';
import type { Results } from '../../harness/core/results.ts';

export const RECORDED_METRICS = ['latency.p50', 'latency.p90'] as const satisfies readonly MetricName[];
export type RecordedMetric = (typeof RECORDED_METRICS)[number];

export interface RecordedRun {
  /** a/a: the model against itself; slower: against the copy with one more MatMul (about 5% more work). */
  kind: 'a/a' | 'slower';
  /** log(B/A) of each round, per metric, in round order. */
  logRatios: Record<RecordedMetric, number[]>;
}

export interface RecordedRounds {
  recordedAt: string;
  machine: string;
  /** What else the machine was doing while recording. */
  note?: string;
  model: string;
  iterations: number;
  /** Recorded with --paired (run --ab --paired): each run's first round ran alone, the others paired in one process. */
  paired?: boolean;
  runs: RecordedRun[];
}

/** The per-round log ratios of one interleaved run, in round order. */
export function roundLogRatios(results: Results): Record<RecordedMetric, number[]> {
  const ab = results.ab!;
  const cellOf = (name: string) => results.cells.find((c) => c.variant.name === name && c.status === 'ok');
  const entries = RECORDED_METRICS.map((metric) => {
    const a = METRICS[metric].read(cellOf(ab.a)!)?.perRepeat ?? new Map<number, number>();
    const b = METRICS[metric].read(cellOf(ab.b)!)?.perRepeat ?? new Map<number, number>();
    const rounds = [...a.keys()].filter((r) => b.has(r)).sort((x, y) => x - y);
    return [metric, rounds.map((r) => Math.log(b.get(r)! / a.get(r)!))] as const;
  });
  return Object.fromEntries(entries) as Record<RecordedMetric, number[]>;
}

export async function readRecordedRounds(file: string): Promise<RecordedRounds> {
  return JSON.parse(await readFile(file, 'utf8')) as RecordedRounds;
}
