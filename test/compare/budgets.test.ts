import { describe, expect, it } from 'vitest';
import { gate } from '../../harness/compare/gate.ts';
import { latencies, results } from '../helpers/results.ts';

const run = (cells: Parameters<typeof results>[0], budgets: unknown[], runId = 'candidate') => ({
  results: results(cells, { runId, suite: { budgets } }),
  file: `${runId}.json`,
});

describe('budgets through the gate', () => {
  it('absolute budgets: max on p90, min on accuracy, limited to a device class', () => {
    const report = gate({
      candidate: run(
        [{ variant: 'int4', samples: latencies(400, 50, 1), correct: Array.from({ length: 100 }, (_, i) => i > 5) }],
        [
          { name: 'p90 under 40 ms on mid devices', metric: 'latency.p90', max: 40, deviceClass: 'mid' },
          { metric: 'accuracy', min: 0.9, level: 'warn' },
          { metric: 'latency.p90', max: 1, deviceClass: 'high' },
        ],
      ),
    });
    expect(report.status).toBe('fail');
    expect(report.budgets).toHaveLength(2); // no device of class "high"
    expect(report.budgets[0]).toMatchObject({ name: 'p90 under 40 ms on mid devices', passed: false, level: 'error', expected: '<= 40.00 ms' });
    expect(report.budgets[0]!.actual).toBeGreaterThan(50);
    expect(report.budgets[1]).toMatchObject({ metric: 'accuracy', passed: true, actual: 0.94 });
  });

  it('a failing warn-level budget does not fail the gate', () => {
    const report = gate({ candidate: run([{ variant: 'v', samples: latencies(100, 50, 1) }], [{ metric: 'latency.p50', max: 1, level: 'warn' }]) });
    expect(report.budgets[0]!.passed).toBe(false);
    expect(report.status).toBe('pass');
  });

  it('within: int4 accuracy at most one point below fp32 in the same run', () => {
    const fp32 = Array.from({ length: 200 }, (_, i) => i % 25 !== 0); // 96%
    const int4 = Array.from({ length: 200 }, (_, i) => i % 20 !== 0); // 95%
    const int4Worse = Array.from({ length: 200 }, (_, i) => i % 10 !== 0); // 90%
    const budget = [{ metric: 'accuracy', variants: ['int4'], within: { variant: 'fp32', maxDrop: 0.01 } }];
    const ok = gate({
      candidate: run(
        [
          { variant: 'fp32', samples: latencies(50, 2, 1), correct: fp32 },
          { variant: 'int4', samples: latencies(50, 2, 2), correct: int4 },
        ],
        budget,
      ),
    });
    expect(ok.budgets[0]).toMatchObject({ variant: 'int4', passed: true, values: { reference: 'fp32' } });
    expect(ok.budgets[0]!.actual).toBeCloseTo(0.01, 12);
    const bad = gate({
      candidate: run(
        [
          { variant: 'fp32', samples: latencies(50, 2, 1), correct: fp32 },
          { variant: 'int4', samples: latencies(50, 2, 2), correct: int4Worse },
        ],
        budget,
      ),
    });
    expect(bad.status).toBe('fail');
  });

  it('increase: fails only when the comparison regressed beyond every limit', () => {
    const budgets = [{ metric: 'latency.p50', increase: { relative: 0.05, absolute: 0.2 } }];
    const baseline = run([{ variant: 'v', samples: latencies(400, 2, 1) }], budgets, 'baseline');
    const slower = gate({ baseline, candidate: run([{ variant: 'v', samples: latencies(400, 2.4, 2) }], budgets) });
    expect(slower.status).toBe('fail');
    expect(slower.budgets[0]).toMatchObject({ passed: false, values: { verdict: 'regressed' } });
    // 20% slower but only 0.04 ms: under the absolute noise floor.
    const tiny = gate({
      baseline: run([{ variant: 'v', samples: latencies(400, 0.2, 1) }], budgets, 'baseline'),
      candidate: run([{ variant: 'v', samples: latencies(400, 0.24, 2) }], budgets),
    });
    expect(tiny.status).toBe('pass');
    const same = gate({ baseline, candidate: run([{ variant: 'v', samples: latencies(400, 2, 3) }], budgets) });
    expect(same.status).toBe('pass');
  });

  it('increase budgets are skipped without a baseline, and fail when the runs cannot be compared', () => {
    const budgets = [{ metric: 'latency.p50', increase: { relative: 0.05 } }];
    const alone = gate({ candidate: run([{ variant: 'v', samples: latencies(100, 2, 1) }], budgets) });
    expect(alone.budgets[0]).toMatchObject({ passed: true, actual: null, message: expect.stringMatching(/not checked: no baseline run/) });
    const baseline = {
      results: results([{ variant: 'v', samples: latencies(100, 2, 1) }], { runId: 'b', datasetSha256: 'other', suite: { budgets } }),
      file: 'b.json',
    };
    const incomparable = gate({ baseline, candidate: run([{ variant: 'v', samples: latencies(100, 2, 2) }], budgets) });
    expect(incomparable.budgets[0]).toMatchObject({ passed: false, message: expect.stringMatching(/not checked: the inputs differ/) });
    expect(incomparable.status).toBe('fail');
  });

  it('noiseMultiple uses the calibrated noise', () => {
    const budgets = [{ metric: 'latency.p50', increase: { noiseMultiple: 3 } }];
    const baseline = run([{ variant: 'v', samples: latencies(400, 2, 1) }], budgets, 'baseline');
    const candidate = run([{ variant: 'v', samples: latencies(400, 2.2, 2) }], budgets);
    expect(gate({ baseline, candidate, noise: () => 0.01 }).status).toBe('fail'); // 10% > 3 x 1%
    expect(gate({ baseline, candidate, noise: () => 0.05 }).status).toBe('pass'); // 10% < 3 x 5%
  });
});
