import { describe, expect, it } from 'vitest';
import { CELL_METRICS, compareInterleaved, PAIRED_METRICS } from '../../harness/compare/compare-ab.ts';
import { gate } from '../../harness/compare/gate.ts';
import { FixedMetricName } from '../../harness/core/budget.ts';
import { latencies, results } from '../helpers/results.ts';

const ROUNDS = 6;
/** An A/B run of variants a and b on host: the same latencies, b with the given accuracy and peak memory. */
function abRun(b: { correct: boolean[]; peakRssBytes: number }) {
  const correct = Array.from({ length: 100 }, () => true);
  const run = results([
    { variant: 'a', samples: latencies(60, 2, 1), repeats: ROUNDS, correct, peakRssBytes: 100e6 },
    { variant: 'b', samples: latencies(60, 2, 2), repeats: ROUNDS, ...b },
  ]);
  run.ab = { a: 'a', b: 'b', rounds: ROUNDS };
  return run;
}
const find = (comparisons: ReturnType<typeof compareInterleaved>, metric: string) => comparisons.find((c) => c.metric === metric);

describe('an A/B run compares what its rounds do not pair cell to cell', () => {
  it('calls a candidate that lost accuracy and doubled its peak memory regressed, and the default gate fails it', () => {
    const run = abRun({ correct: Array.from({ length: 100 }, (_, i) => i % 4 !== 0), peakRssBytes: 200e6 });
    const comparisons = compareInterleaved(run, run.suite.compare);
    expect(find(comparisons, 'accuracy')).toMatchObject({ variant: 'b', verdict: 'regressed' });
    expect(find(comparisons, 'accuracy')!.delta!.relative).toBeCloseTo(-0.25, 5);
    expect(find(comparisons, 'peakRssBytes')).toMatchObject({ verdict: 'regressed' });
    // Latency is still judged from the rounds alone.
    expect(find(comparisons, 'latency.p50')!.rule).toMatch(/paired rounds/);
    const report = gate({ candidate: { results: run, file: 'results.json' } });
    expect(report.status).toBe('fail');
    expect(report.budgets.filter((b) => !b.passed).map((b) => b.name)).toEqual(
      expect.arrayContaining(['default gate: accuracy not regressed', 'default gate: peakRssBytes not regressed']),
    );
  });

  it('passes a candidate that answers and uses memory as the baseline does', () => {
    const run = abRun({ correct: Array.from({ length: 100 }, () => true), peakRssBytes: 100e6 });
    const comparisons = compareInterleaved(run, run.suite.compare);
    expect(find(comparisons, 'accuracy')!.verdict).toBe('unchanged');
    expect(find(comparisons, 'peakRssBytes')!.verdict).toBe('unchanged');
    expect(comparisons.filter((c) => c.verdict === 'regressed')).toEqual([]);
    expect(gate({ candidate: { results: run, file: 'results.json' } }).status).toBe('pass');
  });

  it('judges every metric one way: paired by rounds, or cell to cell', () => {
    expect([...PAIRED_METRICS, ...CELL_METRICS].sort()).toEqual([...FixedMetricName.options].sort());
    expect(CELL_METRICS).toEqual(expect.arrayContaining(['peakRssBytes', 'accuracy', 'hallucination', 'klDivergence', 'kld.mean', 'sameTop1']));
  });
});
