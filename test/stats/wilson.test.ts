import { describe, expect, it } from 'vitest';
import { normalQuantile, wilsonInterval } from '../../harness/stats/wilson.ts';

describe('normalQuantile (AS241)', () => {
  // Reference values: scipy.stats.norm.ppf.
  it('matches known quantiles in the central region', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 13);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 13);
    expect(normalQuantile(0.8)).toBeCloseTo(0.8416212335729143, 13);
    expect(normalQuantile(0.5)).toBe(0);
  });

  it('matches known quantiles in the intermediate and far tails', () => {
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 6);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489004, 13);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232306167813, 12);
    // Below exp(-25): the third polynomial.
    expect(normalQuantile(1e-12)).toBeCloseTo(-7.034483825301131, 10);
    expect(normalQuantile(1e-300)).toBeCloseTo(-37.0470962993612, 9);
  });

  it('is antisymmetric around 0.5', () => {
    for (const p of [0.001, 0.025, 0.2, 0.4]) expect(normalQuantile(p)).toBeCloseTo(-normalQuantile(1 - p), 12);
  });

  it('rejects probabilities outside (0, 1)', () => {
    expect(() => normalQuantile(0)).toThrow(RangeError);
    expect(() => normalQuantile(1)).toThrow(RangeError);
    expect(() => normalQuantile(Number.NaN)).toThrow(RangeError);
  });
});

describe('wilsonInterval', () => {
  // Newcombe 1998, Statistics in Medicine 17:857, table II, method 3 (score interval without continuity correction).
  it('reproduces the Newcombe 1998 examples', () => {
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
      [29, 29, 0.883, 1],
    ];
    for (const [successes, n, lower, upper] of cases) {
      const interval = wilsonInterval(successes, n);
      expect(interval.lower).toBeCloseTo(lower, 4);
      expect(interval.upper).toBeCloseTo(upper, 4);
    }
  });

  it('gives exactly 0 and 1 at the edges, with the known upper bound for 0 of 10', () => {
    expect(wilsonInterval(0, 10)).toEqual({ lower: 0, upper: expect.closeTo(0.2775328, 7) });
    expect(wilsonInterval(10, 10)).toEqual({ lower: expect.closeTo(0.7224672, 7), upper: 1 });
  });

  it('widens with the confidence level', () => {
    const at99 = wilsonInterval(81, 263, 0.99);
    expect(at99.lower).toBeCloseTo(0.2401369, 6);
    expect(at99.upper).toBeCloseTo(0.3852825, 6);
  });

  it('knows nothing without trials', () => {
    expect(wilsonInterval(0, 0)).toEqual({ lower: 0, upper: 1 });
  });

  it('rejects counts that are not a binomial outcome', () => {
    expect(() => wilsonInterval(3, 2)).toThrow(/\[0, 2\]/);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(/confidence/);
  });
});
