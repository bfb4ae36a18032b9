import { describe, expect, it } from 'vitest';
import { minimumSamplesForPercentile, percentileInterval } from '../../harness/stats/percentile-ci.ts';
import { mulberry32 } from '../../harness/stats/random.ts';

/** 1, 2, ..., n: each order statistic equals its rank, so the interval shows the ranks chosen. */
const ranks = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('percentileInterval (order statistics, exact binomial)', () => {
  // Ranks for a 95% interval of the median as tabulated by Campbell & Gardner (1988, BMJ 296:1454):
  // n = 10: x(2), x(9) (97.9%); n = 20: x(6), x(15) (95.9%); n = 100: x(40), x(61) (96.5%).
  // Reproduced independently with exact binomial sums in mpmath.
  it('reproduces the published ranks for the median', () => {
    expect(percentileInterval(ranks(10), 0.5)).toMatchObject({ lower: 2, upper: 9 });
    expect(percentileInterval(ranks(20), 0.5)).toMatchObject({ lower: 6, upper: 15 });
    expect(percentileInterval(ranks(100), 0.5)).toMatchObject({ lower: 40, upper: 61 });
  });

  // Reference ranks computed with mpmath: exact binomial CDF, equal tails of at most 2.5%,
  // and when one tail cannot get that small the other takes the rest of the 5%.
  it('matches independently computed ranks for other quantiles', () => {
    expect(percentileInterval(ranks(100), 0.9)).toMatchObject({ lower: 84, upper: 96 });
    expect(percentileInterval(ranks(1000), 0.99)).toMatchObject({ lower: 983, upper: 997 });
    // The sample minimum cannot bound the tail below, so the upper tail is narrowed instead.
    expect(percentileInterval(ranks(30), 0.1)).toMatchObject({ lower: 1, upper: 9 });
    expect(percentileInterval(ranks(60), 0.95)).toMatchObject({ lower: 52, upper: 60 });
    expect(percentileInterval(ranks(299), 0.99)).toMatchObject({ lower: 289, upper: 299 });
  });

  it('agrees with the normal approximation for large n', () => {
    // np -/+ z sqrt(np(1 - p)) with continuity correction: ranks 49690 and 50311.
    const interval = percentileInterval(ranks(100_000), 0.5)!;
    expect(Math.abs(interval.lower - 49_690)).toBeLessThanOrEqual(2);
    expect(Math.abs(interval.upper - 50_311)).toBeLessThanOrEqual(2);
  });

  it('covers the true quantile at least as often as asked', () => {
    // Uniform(0, 1) samples: the 0.9 quantile is 0.9.
    const random = mulberry32(17);
    let covered = 0;
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const sample = Array.from({ length: 50 }, () => random()).sort((x, y) => x - y);
      const interval = percentileInterval(sample, 0.9)!;
      if (interval.lower <= 0.9 && 0.9 <= interval.upper) covered++;
    }
    // Coverage is at least 95%; the standard error of the estimate is about 0.35%.
    expect(covered / trials).toBeGreaterThan(0.94);
  });

  it('gives no interval when the sample is too small for the coverage', () => {
    expect(percentileInterval(ranks(50), 0.99)).toBeUndefined();
    expect(percentileInterval(ranks(298), 0.99)).toBeUndefined();
    expect(percentileInterval(ranks(5), 0.5)).toBeUndefined();
    expect(percentileInterval(ranks(6), 0.5)).toMatchObject({ lower: 1, upper: 6 });
  });

  it('rejects empty, unsorted and non-finite samples and bad ranks', () => {
    expect(() => percentileInterval([], 0.5)).toThrow(/empty/);
    expect(() => percentileInterval([1, 3, 2], 0.5)).toThrow(/ascending/);
    expect(() => percentileInterval([1, Number.NaN], 0.5)).toThrow(/finite/);
    expect(() => percentileInterval([1, 2], 0)).toThrow(RangeError);
    expect(() => percentileInterval([1, 2], 1)).toThrow(RangeError);
    expect(() => percentileInterval([1, 2], 0.5, 1)).toThrow(/confidence/);
  });
});

describe('minimumSamplesForPercentile', () => {
  it('is the first n with an interval', () => {
    // p99 at 95%: 1 - 0.99^n >= 0.95 first holds at n = 299; the median needs 6 (coverage 1 - 2/64).
    expect(minimumSamplesForPercentile(0.99)).toBe(299);
    expect(minimumSamplesForPercentile(0.5)).toBe(6);
    for (const [p, confidence] of [
      [0.9, 0.99],
      [0.999, 0.95],
      [0.05, 0.9],
    ] as const) {
      const n = minimumSamplesForPercentile(p, confidence);
      expect(percentileInterval(ranks(n), p, confidence)).toBeDefined();
      expect(percentileInterval(ranks(n - 1), p, confidence)).toBeUndefined();
    }
  });
});
