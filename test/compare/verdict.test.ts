import { describe, expect, it } from 'vitest';
import { verdictOfChange } from '../../harness/compare/verdict.ts';

const base = { stats: 's', alpha: 0.01, threshold: 0.03, higherIsBetter: false, remedy: 'raise repeats' };

describe('verdictOfChange', () => {
  it('needs significance, a CI on the worse side and a change past the threshold to call a regression', () => {
    expect(verdictOfChange({ ...base, change: 0.05, ci: { lower: 0.04, upper: 0.06 }, adjustedP: 0.001 }).verdict).toBe('regressed');
    expect(verdictOfChange({ ...base, change: 0.05, ci: { lower: 0.04, upper: 0.06 }, adjustedP: 0.02 }).verdict).toBe('unchanged');
    expect(verdictOfChange({ ...base, change: 0.02, ci: { lower: 0.015, upper: 0.025 }, adjustedP: 1e-9 }).rule).toMatch(/smaller than the 3.0% threshold/);
    expect(verdictOfChange({ ...base, change: 0.05, ci: { lower: -0.005, upper: 0.05 }, adjustedP: 0.001 }).verdict).toBe('unchanged');
  });

  it('reads direction from higherIsBetter', () => {
    expect(verdictOfChange({ ...base, higherIsBetter: true, change: -0.05, ci: { lower: -0.06, upper: -0.04 }, adjustedP: 0.001 }).verdict).toBe('regressed');
    expect(verdictOfChange({ ...base, change: -0.05, ci: { lower: -0.06, upper: -0.04 }, adjustedP: 0.001 }).verdict).toBe('improved');
  });

  it('calls a CI wider than twice the threshold noisy, with the remedy', () => {
    const noisy = verdictOfChange({ ...base, change: 0.01, ci: { lower: -0.05, upper: 0.07 }, adjustedP: 0.5 });
    expect(noisy).toEqual({ verdict: 'noisy', rule: 's: the 95% CI is wider than twice the 3.0% threshold; raise repeats' });
  });
});
