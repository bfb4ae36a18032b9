import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../harness/compare/compare-runs.ts';
import { latencies, results } from '../helpers/results.ts';

const options = { threshold: 0.03, alpha: 0.01, allowDifferent: ['variant', 'runtime'] as ('variant' | 'runtime' | 'device')[] };
const find = (comparisons: ReturnType<typeof compareRuns>, metric: string) => comparisons.find((c) => c.metric === metric)!;

describe('compareRuns', () => {
  it('calls two samples of the same distribution unchanged', () => {
    const comparisons = compareRuns(
      results([{ variant: 'int8', samples: latencies(500, 2, 1) }]),
      results([{ variant: 'int8', samples: latencies(500, 2, 2) }]),
      options,
    );
    const p50 = find(comparisons, 'latency.p50');
    expect(p50.verdict).toBe('unchanged');
    expect(p50.delta!.relativeCi95!.lower).toBeLessThan(0.03);
    expect(p50.rule).toMatch(/Mann-Whitney p/);
  });

  it('calls a 10% slower candidate regressed, with the shift and its CI, and a 10% faster one improved', () => {
    const baseline = results([{ variant: 'int8', samples: latencies(500, 2, 1) }]);
    const slower = find(compareRuns(baseline, results([{ variant: 'int8', samples: latencies(500, 2.2, 2) }]), options), 'latency.p50');
    expect(slower.verdict).toBe('regressed');
    expect(slower.delta!.relative).toBeGreaterThan(0.07);
    expect(slower.delta!.relative).toBeLessThan(0.13);
    expect(slower.delta!.relativeCi95!.lower).toBeGreaterThan(0.03);
    const faster = find(compareRuns(baseline, results([{ variant: 'int8', samples: latencies(500, 1.8, 3) }]), options), 'latency.p50');
    expect(faster.verdict).toBe('improved');
  });

  it('does not call a significant but small shift a regression', () => {
    const comparisons = compareRuns(
      results([{ variant: 'v', samples: latencies(5000, 2, 1) }]),
      results([{ variant: 'v', samples: latencies(5000, 2.02, 2) }]),
      options,
    );
    expect(find(comparisons, 'latency.p50').verdict).toBe('unchanged');
  });

  it('calls a comparison noisy when the CI is too wide to decide', () => {
    const comparisons = compareRuns(
      results([{ variant: 'v', samples: latencies(8, 2, 1).map((v, i) => v * (i % 2 ? 3 : 1)) }]),
      results([{ variant: 'v', samples: latencies(8, 2, 2).map((v, i) => v * (i % 2 ? 3 : 1)) }]),
      options,
    );
    expect(find(comparisons, 'latency.p50').verdict).toBe('noisy');
    expect(find(comparisons, 'latency.p99').verdict).toBe('noisy');
  });

  it('refuses to compare runs on different inputs, and different variant files when not allowed', () => {
    const base = results([{ variant: 'v', samples: latencies(100, 2, 1) }]);
    const otherData = compareRuns(base, results([{ variant: 'v', samples: latencies(100, 2, 2) }], { datasetSha256: 'other' }), options);
    expect(find(otherData, 'latency.p50')).toMatchObject({ verdict: 'incomparable', rule: expect.stringMatching(/the inputs differ/) });
    const otherFiles = compareRuns(base, results([{ variant: 'v', samples: latencies(100, 2, 2), sha256: 'changed' }]), {
      ...options,
      allowDifferent: ['runtime'],
    });
    expect(find(otherFiles, 'latency.p50')).toMatchObject({ verdict: 'incomparable', rule: expect.stringMatching(/variant v has other files/) });
  });

  it('pairs per-example accuracy with McNemar', () => {
    const right = Array.from({ length: 200 }, () => true);
    const worse = right.map((_, i) => i % 5 !== 0); // 40 newly wrong, none newly right
    const comparisons = compareRuns(
      results([{ variant: 'v', samples: latencies(50, 2, 1), correct: right }]),
      results([{ variant: 'v', samples: latencies(50, 2, 2), correct: worse }]),
      options,
    );
    const accuracy = find(comparisons, 'accuracy');
    expect(accuracy.verdict).toBe('regressed');
    expect(accuracy.delta!.absolute).toBeCloseTo(-0.2, 12);
    expect(accuracy.rule).toMatch(/McNemar/);
  });

  it('judges single measurements (peak RSS) by a 10% threshold', () => {
    const grown = compareRuns(
      results([{ variant: 'v', samples: latencies(50, 2, 1), peakRssBytes: 100e6 }]),
      results([{ variant: 'v', samples: latencies(50, 2, 2), peakRssBytes: 125e6 }]),
      options,
    );
    expect(find(grown, 'peakRssBytes')).toMatchObject({ verdict: 'regressed', rule: expect.stringMatching(/single measurement/) });
  });
});

describe('compareRuns between runner processes (runs with repeats)', () => {
  /** `repeats` processes of `perRepeat` samples, each process's median off by its own seeded drift of about `driftSd`. */
  const drifting = (repeats: number, medianMs: number, driftSd: number, seed: number) => {
    const drift = latencies(repeats, 1, seed + 1000).map((x) => Math.pow(x, driftSd / 0.05));
    return drift.flatMap((factor, r) => latencies(200, medianMs * factor, seed * 31 + r));
  };

  it('does not call process-to-process drift a regression, where a test on pooled samples would', () => {
    // Five processes per side, each about 3% off the true median: the pooled samples look like a real shift.
    const baseline = results([{ variant: 'v', samples: drifting(5, 2, 0.03, 1), repeats: 5 }]);
    const candidate = results([{ variant: 'v', samples: drifting(5, 2, 0.03, 2), repeats: 5 }]);
    const p50 = find(compareRuns(baseline, candidate, options), 'latency.p50');
    expect(p50.rule).toMatch(/over 5 vs 5 runner processes, Welch p/);
    expect(p50.verdict).not.toBe('regressed');
    expect(p50.baseline!.n).toBe(5);
    // The same samples without the process boundaries: the within-run test calls it significant.
    const pooled = find(
      compareRuns(results([{ variant: 'v', samples: drifting(5, 2, 0.03, 1) }]), results([{ variant: 'v', samples: drifting(5, 2, 0.03, 2) }]), options),
      'latency.p50',
    );
    expect(pooled.pValue!).toBeLessThan(p50.pValue!);
    expect(pooled.rule).toMatch(/fewer than 3 runner processes per side/);
  });

  it('calls a 10% slower candidate regressed across processes, with a CI from the per-process medians', () => {
    const baseline = results([{ variant: 'v', samples: drifting(5, 2, 0.005, 1), repeats: 5 }]);
    const candidate = results([{ variant: 'v', samples: drifting(5, 2.2, 0.005, 2), repeats: 5 }]);
    const comparisons = compareRuns(baseline, candidate, options);
    const p50 = find(comparisons, 'latency.p50');
    expect(p50.verdict).toBe('regressed');
    expect(p50.delta!.relative).toBeGreaterThan(0.08);
    expect(p50.delta!.relative).toBeLessThan(0.12);
    expect(p50.delta!.relativeCi95!.lower).toBeGreaterThan(0.05);
    expect(p50.delta!.method).toMatch(/geometric means of 5 and 5 per-process values/);
    expect(find(comparisons, 'latency.p90').verdict).toBe('regressed');
    // Load time and memory have one value per process: tested the same way.
    expect(find(comparisons, 'loadMs').rule).toMatch(/Welch/);
  });
});
