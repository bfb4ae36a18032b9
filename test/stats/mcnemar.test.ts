import { describe, expect, it } from 'vitest';
import { mcnemarTest, type PairedOutcome } from '../../harness/stats/mcnemar.ts';

/** Pairs from a 2 x 2 table: both right, baseline right only (b), candidate right only (c), both wrong. */
function table(bothRight: number, b: number, c: number, bothWrong: number): PairedOutcome[] {
  const repeat = (count: number, baseline: boolean, candidate: boolean) => Array.from({ length: count }, () => ({ baseline, candidate }));
  return [...repeat(bothRight, true, true), ...repeat(b, true, false), ...repeat(c, false, true), ...repeat(bothWrong, false, false)];
}

describe('mcnemarTest', () => {
  // Fagerland, Lydersen & Laake (2013), BMC Medical Research Methodology 13:91, airway
  // hyper-responsiveness before and after stem cell transplantation (Bentur et al. 2009):
  // 1 and 7 discordant pairs, exact conditional p = 0.0703 (by hand: 2 (1 + 8) / 2^8 = 18 / 256).
  it('reproduces the exact conditional test of Fagerland et al.', () => {
    const result = mcnemarTest(table(1, 1, 7, 12));
    expect(result).toMatchObject({ b: 1, c: 7 });
    expect(result.pValue).toBeCloseTo(18 / 256, 15);
    expect(result.method).toMatch(/exact/);
  });

  // Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed., table 8.1: presidential
  // approval of 1600 people in two surveys, 794 / 150 / 86 / 570. Agresti's uncorrected statistic is
  // z^2 = 64^2 / 236 = 17.36; with the continuity correction it is 63^2 / 236 = 16.818, p from mpmath.
  it("reproduces Agresti's approval ratings with the continuity-corrected chi-square", () => {
    const result = mcnemarTest(table(794, 150, 86, 570));
    expect(result).toMatchObject({ b: 150, c: 86 });
    expect(result.pValue).toBeCloseTo(4.114562281345945e-5, 15);
    expect(result.method).toMatch(/chi-square/);
  });

  // Reference values from mpmath: the exact test up to 24 discordant pairs, the chi-square from 25.
  it('switches from the exact test to chi-square at 25 discordant pairs', () => {
    const exact = mcnemarTest(table(0, 5, 19, 0));
    expect(exact.method).toMatch(/exact/);
    expect(exact.pValue).toBeCloseTo(0.006610751152038574, 15);
    const approximate = mcnemarTest(table(0, 6, 19, 0));
    expect(approximate.method).toMatch(/chi-square/);
    expect(approximate.pValue).toBeCloseTo(0.01639507184919226, 13);
  });

  it('gives p = 1 without a difference', () => {
    expect(mcnemarTest(table(10, 0, 0, 3))).toMatchObject({ b: 0, c: 0, pValue: 1 });
    expect(mcnemarTest(table(10, 12, 12, 3)).pValue).toBe(1);
    expect(mcnemarTest(table(10, 13, 13, 3)).pValue).toBe(1);
  });

  it('is symmetric in b and c', () => {
    expect(mcnemarTest(table(5, 3, 11, 2)).pValue).toBe(mcnemarTest(table(5, 11, 3, 2)).pValue);
    expect(mcnemarTest(table(5, 30, 11, 2)).pValue).toBe(mcnemarTest(table(5, 11, 30, 2)).pValue);
  });

  it('rejects no pairs and pairs without booleans', () => {
    expect(() => mcnemarTest([])).toThrow(/no paired outcomes/);
    expect(() => mcnemarTest([{ baseline: true, candidate: 1 as unknown as boolean }])).toThrow(/pair 0/);
  });
});
