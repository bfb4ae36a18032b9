import { describe, expect, it } from 'vitest';
import { studentTCdf, studentTQuantile } from '../../harness/stats/student-t.ts';
import { welchTest } from '../../harness/stats/welch.ts';

describe('Student t distribution', () => {
  it('matches printed table quantiles', () => {
    // Two-sided 95% and 99% critical values from any t table.
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(studentTQuantile(0.975, 8)).toBeCloseTo(2.306, 3);
    expect(studentTQuantile(0.995, 4)).toBeCloseTo(4.604, 3);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.96, 2);
    expect(studentTQuantile(0.025, 8)).toBeCloseTo(-2.306, 3);
  });

  it('gives the CDF for whole and fractional degrees of freedom', () => {
    // Independently computed with SciPy 1.17: stats.t.cdf(2, 5), stats.t.cdf(-1.3, 2.5).
    expect(studentTCdf(2, 5)).toBeCloseTo(0.9490302605850708, 9);
    expect(studentTCdf(-1.3, 2.5)).toBeCloseTo(0.15024339463535416, 9);
    expect(studentTCdf(0, 3)).toBe(0.5);
  });

  it('rejects impossible arguments', () => {
    expect(() => studentTCdf(1, 0)).toThrow(/degrees of freedom/);
    expect(() => studentTQuantile(1, 5)).toThrow(/probability/);
  });
});

describe('welchTest', () => {
  it('matches an independent computation', () => {
    // SciPy 1.17: stats.ttest_ind(b, a, equal_var=False) and its confidence_interval(0.95).
    const a = [19.1, 20.4, 18.8, 21.0, 19.7];
    const b = [21.3, 22.0, 20.9, 23.4, 21.7, 22.2];
    const result = welchTest(a, b);
    expect(result.t).toBeCloseTo(3.9309278684400626, 9);
    expect(result.df).toBeCloseTo(8.467342583613188, 9);
    expect(result.pValue).toBeCloseTo(0.0038909841735634814, 9);
    expect(result.lower).toBeCloseTo(0.8867931048432933, 8);
    expect(result.upper).toBeCloseTo(3.346540228490041, 8);
  });

  it('is symmetric and finds nothing in identical samples', () => {
    const a = [1, 2, 3, 4];
    expect(welchTest(a, a).pValue).toBe(1);
    expect(welchTest([1, 2, 3], [4, 5, 7]).t).toBeCloseTo(-welchTest([4, 5, 7], [1, 2, 3]).t, 12);
  });

  it('treats spread-free samples as exact', () => {
    expect(welchTest([2, 2], [3, 3])).toMatchObject({ difference: 1, lower: 1, upper: 1, pValue: 0 });
  });

  it('needs two values per side', () => {
    expect(() => welchTest([1], [1, 2])).toThrow(/at least 2/);
  });
});
