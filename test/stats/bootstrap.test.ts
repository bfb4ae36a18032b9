import { describe, expect, it } from 'vitest';
import { bootstrapMeanInterval } from '../../harness/stats/bootstrap.ts';
import { mulberry32 } from '../../harness/stats/random.ts';

describe('mulberry32', () => {
  it('reproduces the reference implementation and repeats for a seed', () => {
    // First outputs of bryc's reference JavaScript for seed 42.
    const random = mulberry32(42);
    expect([random(), random(), random()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
    const a = mulberry32(7);
    const b = mulberry32(7);
    for (let i = 0; i < 100; i++) expect(a()).toBe(b());
  });

  it('draws from [0, 1) with mean near 1/2', () => {
    const random = mulberry32(3);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    // Standard error of the mean is about 0.0009.
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
  });
});

describe('bootstrapMeanInterval (percentile bootstrap)', () => {
  it('is deterministic for a seed and changes with it', () => {
    const values = [0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.65];
    expect(bootstrapMeanInterval(values, { seed: 11 })).toEqual(bootstrapMeanInterval(values, { seed: 11 }));
    expect(bootstrapMeanInterval(values, { seed: 11 })).not.toEqual(bootstrapMeanInterval(values, { seed: 12 }));
  });

  it('collapses to the value when every value is the same', () => {
    const interval = bootstrapMeanInterval([0.8, 0.8, 0.8]);
    expect(interval.lower).toBeCloseTo(0.8, 12);
    expect(interval.upper).toBeCloseTo(0.8, 12);
  });

  it('covers the whole range for two values', () => {
    // Resample means of {0, 1} are 0, 1/2, 1 with probability 1/4, 1/2, 1/4: both 2.5% tails sit on the extremes.
    expect(bootstrapMeanInterval([0, 1])).toEqual({ lower: 0, upper: 1 });
  });

  it('agrees with the normal approximation on a large sample', () => {
    // 100 ones in 400: mean 0.25, standard error sqrt(0.25 * 0.75 / 400) = 0.02165, so about 0.25 -/+ 0.0424.
    const values = Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0));
    const interval = bootstrapMeanInterval(values, { resamples: 4000 });
    expect(interval.lower).toBeCloseTo(0.25 - 0.0424, 2);
    expect(interval.upper).toBeCloseTo(0.25 + 0.0424, 2);
  });

  it('narrows as the confidence level falls', () => {
    const values = [0.1, 0.4, 0.35, 0.8, 0.9, 0.2, 0.65, 0.5, 0.55, 0.3];
    const wide = bootstrapMeanInterval(values, { confidence: 0.99 });
    const narrow = bootstrapMeanInterval(values, { confidence: 0.5 });
    expect(wide.lower).toBeLessThan(narrow.lower);
    expect(wide.upper).toBeGreaterThan(narrow.upper);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(narrow.lower).toBeLessThan(mean);
    expect(narrow.upper).toBeGreaterThan(mean);
  });

  it('rejects an empty sample and bad options', () => {
    expect(() => bootstrapMeanInterval([])).toThrow(/empty/);
    expect(() => bootstrapMeanInterval([1], { resamples: 0 })).toThrow(/resamples/);
    expect(() => bootstrapMeanInterval([1], { confidence: 1.2 })).toThrow(/confidence/);
    expect(() => bootstrapMeanInterval([1, Number.NaN])).toThrow(/finite/);
  });
});
