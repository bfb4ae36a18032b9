import { describe, expect, it } from 'vitest';
import { signedRankTest } from '../../harness/stats/wilcoxon-signed-rank.ts';

describe('signedRankTest', () => {
  it('reproduces the textbook example (Hollander & Wolfe, Hamilton depression scale, x - y)', () => {
    const before = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
    const after = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];
    const result = signedRankTest(before.map((x, i) => x - after[i]!));
    // Two-sided exact p 0.0390625 (T+ = 40, as in the book; SciPy 1.17 stats.wilcoxon agrees).
    expect(result.pValue).toBeCloseTo(0.0390625, 12);
    expect(result.estimate).toBeCloseTo(0.46, 12);
    // The exact CI, found independently by enumerating all 2^9 sign patterns: [W(6), W(40)].
    expect(result.lower).toBeCloseTo(0.01, 12);
    expect(result.upper).toBeCloseTo(0.786, 12);
    expect(result.method).toMatch(/exact over 9/);
  });

  it('gives the exact p-value for 40 differences (SciPy 1.17, method="exact")', () => {
    const x = [
      0.052841, 0.087501, 0.022059, 0.079771, 0.042225, 0.042155, 0.106992, 0.054726, 0.048712, 0.071885, 0.083806, 0.049075, 0.06764, 0.020788, 0.038996,
      0.036856, 0.010032, 0.004745, 0.001193, 0.04284, 0.044827, 0.04039, 0.052074, 0.009932, 0.047616, 0.057143, 0.072531, 0.024613, 0.038004, -0.010455,
      0.034891, -0.015901, 0.007418, 0.083045, -0.016049, 0.073957, 0.059837, 0.04063, 0.06378, 0.065824,
    ];
    const result = signedRankTest(x);
    expect(result.pValue / 8.130882633849978e-10).toBeCloseTo(1, 6);
    expect(result.lower).toBeGreaterThan(0);
  });

  it('shrugs off one ruined pair, where a test on the mean does not', () => {
    const steady = Array.from({ length: 20 }, (_, i) => 0.05 + 0.005 * Math.sin(i));
    const withSpike = [...steady.slice(0, 19), -2];
    const result = signedRankTest(withSpike);
    expect(result.pValue).toBeLessThan(0.001);
    expect(result.estimate).toBeGreaterThan(0.04);
  });

  it('finds nothing in symmetric noise, drops zeros and rejects empty input', () => {
    expect(signedRankTest([-1, 1, -2, 2, -3, 3]).pValue).toBe(1);
    expect(signedRankTest([0, 0, 0]).pValue).toBe(1);
    expect(() => signedRankTest([])).toThrow(/empty/);
  });
});
