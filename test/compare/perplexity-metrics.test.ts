import { describe, expect, it } from 'vitest';
import { METRICS } from '../../harness/compare/metrics.ts';
import type { CellResult } from '../../harness/core/results.ts';
import { perplexityStatistics } from '../../harness/stats/perplexity-statistics.ts';

const record = { reference: 'fp32', file: 'ref.topk', sha256: 'x', topK: 32, meanTailMass: 0.01 };
const cell = (kld: number[], sameTop1: boolean[]) =>
  ({
    quality: {
      unscored: [],
      perplexity: perplexityStatistics([{ nll: [1, 2, 3, 2], kld, deltaP: [0, 0, 0, 0], sameTop1 }], record),
    },
  }) as unknown as CellResult;

describe('perplexity metrics for compare and budgets', () => {
  it('read perplexity, mean and p99 KLD and same top-1 from the cell, lower or higher is better as they should be', () => {
    const c = cell([0.1, 0.2, 0.3, 0.4], [true, true, false, true]);
    expect(METRICS.perplexity.read(c)!.value).toBeCloseTo(Math.exp(2), 12);
    expect(METRICS['kld.mean'].read(c)!.value).toBeCloseTo(0.25, 12);
    expect(METRICS['kld.p99'].read(c)!.value).toBeCloseTo(0.397, 12);
    expect(METRICS.sameTop1.read(c)!.value).toBe(0.75);
    expect(METRICS.perplexity.higherIsBetter).toBe(false);
    expect(METRICS['kld.mean'].higherIsBetter).toBe(false);
    expect(METRICS.sameTop1.higherIsBetter).toBe(true);
  });

  it('a cell of another task has none of them', () => {
    const other = { quality: { unscored: [] } } as unknown as CellResult;
    for (const name of ['perplexity', 'kld.mean', 'kld.p99', 'sameTop1'] as const) expect(METRICS[name].read(other)).toBeUndefined();
  });
});
