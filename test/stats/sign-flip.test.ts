import { describe, expect, it } from 'vitest';
import { signFlipTest } from '../../harness/stats/sign-flip.ts';

describe('signFlipTest', () => {
  it('gives the exact two-sided p-value over all sign patterns', () => {
    // Five positive differences: only "all +" and "all -" are as extreme: 2 of 32 patterns.
    expect(signFlipTest([1, 2, 3, 4, 5]).pValue).toBeCloseTo(2 / 32, 15);
    // [3, 1]: |sum| 4 is reached by ++ and -- only: 2 of 4.
    expect(signFlipTest([3, 1]).pValue).toBe(0.5);
    // Differences that cancel: every pattern is at least as extreme.
    expect(signFlipTest([1, -1]).pValue).toBe(1);
  });

  it('uses a seeded Monte-Carlo sample beyond 20 pairs', () => {
    const differences = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? -0.5 : 1));
    const first = signFlipTest(differences);
    expect(first.method).toMatch(/100000 seeded random sign patterns/);
    expect(signFlipTest(differences).pValue).toBe(first.pValue);
    expect(first.pValue).toBeLessThan(0.01);
  });

  it('rejects an empty sample', () => {
    expect(() => signFlipTest([])).toThrow(/empty/);
  });
});
