import { describe, expect, it } from 'vitest';
import { mannWhitneyU, normalUpperTail } from '../../harness/stats/mann-whitney.ts';

describe('normalUpperTail', () => {
  // Reference values: mpmath, erfc(z / sqrt(2)) / 2 at 30 digits.
  it('matches high-precision values from the centre to the far tail', () => {
    expect(normalUpperTail(0)).toBe(0.5);
    expect(normalUpperTail(1.96)).toBeCloseTo(0.024997895148220435, 15);
    expect(normalUpperTail(-1)).toBeCloseTo(0.8413447460685429, 14);
    const relative = (actual: number, expected: number) => Math.abs(actual / expected - 1);
    expect(relative(normalUpperTail(3), 0.0013498980316300946)).toBeLessThan(1e-12);
    expect(relative(normalUpperTail(5), 2.866515718791939e-7)).toBeLessThan(1e-12);
    expect(relative(normalUpperTail(10), 7.619853024160525e-24)).toBeLessThan(1e-12);
    expect(relative(normalUpperTail(20), 2.7536241186062337e-89)).toBeLessThan(1e-12);
  });
});

describe('mannWhitneyU', () => {
  // Wikipedia, "Mann-Whitney U test", illustration: six tortoises and six hares finish in the order
  // T H H H H H T T T T T H; U = 11 counts the (hare, tortoise) pairs the hare lost. The exact
  // two-sided p (286 / 924) was enumerated over all C(12, 6) rankings in Python.
  it('reproduces the tortoise and hare example', () => {
    const tortoises = [1, 7, 8, 9, 10, 11];
    const hares = [2, 3, 4, 5, 6, 12];
    const result = mannWhitneyU(hares, tortoises);
    expect(result.u).toBe(11);
    expect(result.pValue).toBeCloseTo(286 / 924, 14);
    expect(result.method).toMatch(/exact/);
    expect(result.z).toBeLessThan(0);
    expect(mannWhitneyU(tortoises, hares)).toMatchObject({ u: 25, pValue: result.pValue });
  });

  // Hollander & Wolfe (1973, p. 69), permeability of the placental membrane at term (x) and at
  // 12-26 weeks (y), the example of R's wilcox.test: W = 35, exact two-sided p = 0.2544
  // (enumerated over all C(15, 5) rankings in Python: 0.2544122544122544).
  it('reproduces the Hollander & Wolfe permeability example', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = mannWhitneyU(x, y);
    expect(result.u).toBe(35);
    expect(result.pValue).toBeCloseTo(0.2544122544122544, 13);
  });

  // Reference: the tie-corrected, continuity-corrected normal approximation implemented separately in mpmath
  // (what R's wilcox.test(a, b, exact = FALSE, correct = TRUE) computes).
  it('uses the tie-corrected normal approximation when values are tied', () => {
    const a = [1, 2, 2, 3, 3, 3, 4, 5, 6, 7, 8, 8, 9];
    const b = [3, 4, 5, 5, 6, 7, 8, 9, 9, 10, 10, 11, 12, 12, 13];
    const result = mannWhitneyU(a, b);
    expect(result.u).toBe(37);
    expect(result.z).toBeCloseTo(-2.7745716242778267, 12);
    expect(result.pValue).toBeCloseTo(0.005527446127367644, 12);
    expect(result.method).toMatch(/normal approximation/);
  });

  it('uses the normal approximation beyond 20 values per sample', () => {
    const a = Array.from({ length: 21 }, (_, i) => 2 * i);
    const b = Array.from({ length: 21 }, (_, i) => 2 * i + 1);
    const result = mannWhitneyU(a, b);
    expect(result.method).toMatch(/normal approximation/);
    // U = 210 of 441 pairs; z = -(220.5 - 210 - 0.5) / sqrt(441 * 43 / 12), p from mpmath.
    expect(result.u).toBe(210);
    expect(result.z).toBeCloseTo(-0.2515574018073211, 13);
    expect(result.pValue).toBeCloseTo(0.8013831883084929, 13);
  });

  it('finds no difference when every value is tied', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5])).toMatchObject({ u: 3, z: 0, pValue: 1 });
  });

  it('detects a clear shift', () => {
    const a = Array.from({ length: 20 }, (_, i) => i);
    const b = a.map((v) => v + 15);
    // U = 15: only pairs whose b exceeds a by less than 15 count for b; exact p is far below 1%.
    expect(mannWhitneyU(b, a).pValue).toBeLessThan(1e-5);
  });

  it('rejects empty and non-finite samples', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(/sample a is empty/);
    expect(() => mannWhitneyU([1], [])).toThrow(/sample b is empty/);
    expect(() => mannWhitneyU([1, Number.POSITIVE_INFINITY], [1])).toThrow(/value 1/);
  });
});
