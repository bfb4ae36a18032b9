import { describe, expect, it } from 'vitest';
import { benjaminiHochbergAdjust, holmAdjust } from '../../harness/stats/multiple-comparisons.ts';

// The 15 p-values of the worked example in Benjamini & Hochberg (1995, JRSS B 57:289). At 0.05 the
// paper's procedure rejects the four smallest, Bonferroni-type procedures the three smallest.
const BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1];

function expectAllClose(actual: number[], expected: number[], digits = 12): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, digits));
}

describe('holmAdjust', () => {
  // Expected values computed by hand from the definition (a separate Python implementation).
  it('adjusts the Benjamini & Hochberg example', () => {
    const adjusted = holmAdjust(BH_1995);
    expectAllClose(adjusted, [0.0015, 0.0056, 0.0247, 0.114, 0.2211, 0.278, 0.278, 0.278, 0.3213, 1, 1, 1, 1, 1, 1]);
    expect(adjusted.filter((p) => p <= 0.05)).toHaveLength(3);
  });

  it('keeps input order (hand-computed: 4 x 0.01, 3 x 0.03, max(2 x 0.04, 0.09), 0.2)', () => {
    expectAllClose(holmAdjust([0.04, 0.01, 0.03, 0.2]), [0.09, 0.04, 0.09, 0.2]);
    expectAllClose(holmAdjust([0.01, 0.01]), [0.02, 0.02]);
    expect(holmAdjust([0.3])).toEqual([0.3]);
  });
});

describe('benjaminiHochbergAdjust', () => {
  it('adjusts the Benjamini & Hochberg example', () => {
    const adjusted = benjaminiHochbergAdjust(BH_1995);
    // Hand-computed from the definition (a separate Python implementation), rounded to 10 decimals.
    expectAllClose(
      adjusted,
      [0.0015, 0.003, 0.0095, 0.035625, 0.0603, 0.0638571429, 0.0638571429, 0.0645, 0.0765, 0.486, 0.5811818182, 0.714875, 0.7532307692, 0.8132142857, 1],
      9,
    );
    expect(adjusted.filter((p) => p <= 0.05)).toHaveLength(4);
  });

  it('keeps input order (hand-computed: 4 x 0.01, min(2 x 0.03, 4/3 x 0.04), 4/3 x 0.04, 0.2)', () => {
    expectAllClose(benjaminiHochbergAdjust([0.04, 0.01, 0.03, 0.2]), [(0.04 * 4) / 3, 0.04, (0.04 * 4) / 3, 0.2]);
    expectAllClose(benjaminiHochbergAdjust([0.01, 0.01]), [0.01, 0.01]);
  });
});

describe('both adjustments', () => {
  it('are monotone in the raw p-values, at least the raw value and at most 1', () => {
    const raw = [0.2, 0.001, 0.049, 0.5, 0.011, 0.9, 0.03, 0.03];
    for (const adjust of [holmAdjust, benjaminiHochbergAdjust]) {
      const adjusted = adjust(raw);
      raw.forEach((p, i) => {
        expect(adjusted[i]).toBeGreaterThanOrEqual(p);
        expect(adjusted[i]).toBeLessThanOrEqual(1);
        raw.forEach((q, j) => {
          if (p < q) expect(adjusted[i]).toBeLessThanOrEqual(adjusted[j]!);
        });
      });
    }
    // Holm controls the family-wise error rate, so it never adjusts less than BH.
    holmAdjust(raw).forEach((p, i) => expect(p).toBeGreaterThanOrEqual(benjaminiHochbergAdjust(raw)[i]!));
  });

  it('reject no p-values and values outside [0, 1]', () => {
    for (const adjust of [holmAdjust, benjaminiHochbergAdjust]) {
      expect(() => adjust([])).toThrow(/no p-values/);
      expect(() => adjust([0.1, 1.5])).toThrow(/p-value 1 is 1.5/);
      expect(() => adjust([Number.NaN])).toThrow(RangeError);
    }
  });
});
