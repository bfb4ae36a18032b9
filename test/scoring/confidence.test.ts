import { describe, expect, it } from 'vitest';
import { confidenceSignals } from '../../harness/scoring/confidence.ts';

describe('confidenceSignals', () => {
  it('gives ln 4 nats for a uniform distribution over 4 classes', () => {
    const signals = confidenceSignals([0, 0, 0, 0]);
    expect(signals.maxProbability).toBeCloseTo(0.25, 15);
    expect(signals.entropy).toBeCloseTo(Math.log(4), 15);
    expect(signals.logitGap).toBe(0);
  });

  it('matches a hand computation for probabilities (1/4, 3/4)', () => {
    const signals = confidenceSignals(Float32Array.of(0, Math.log(3)));
    expect(signals.maxProbability).toBeCloseTo(0.75, 7);
    expect(signals.entropy).toBeCloseTo(-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), 7);
    expect(signals.logitGap).toBeCloseTo(Math.log(3), 7);
  });

  it('picks the top two logits wherever they are', () => {
    expect(confidenceSignals([1, 7, 3, 6.5]).logitGap).toBeCloseTo(0.5, 12);
    expect(confidenceSignals([9, 2, 9]).logitGap).toBe(0);
  });

  it('is stable and shift-invariant for large logits', () => {
    const uniform = confidenceSignals([1000, 1000, 1000, 1000]);
    expect(uniform.entropy).toBeCloseTo(Math.log(4), 12);
    expect(uniform.maxProbability).toBeCloseTo(0.25, 12);
    const small = confidenceSignals([2, 5, 1]);
    const shifted = confidenceSignals([-1002, -999, -1003]);
    expect(shifted.maxProbability).toBeCloseTo(small.maxProbability, 12);
    expect(shifted.entropy).toBeCloseTo(small.entropy, 12);
    expect(shifted.logitGap).toBeCloseTo(small.logitGap, 12);
    expect(confidenceSignals([1000, 0])).toEqual({ maxProbability: 1, entropy: 0, logitGap: 1000 });
  });

  it('ignores masked classes', () => {
    const signals = confidenceSignals([0, 0, -Infinity]);
    expect(signals.maxProbability).toBeCloseTo(0.5, 15);
    expect(signals.entropy).toBeCloseTo(Math.log(2), 15);
    expect(confidenceSignals([3, -Infinity])).toEqual({ maxProbability: 1, entropy: 0, logitGap: Infinity });
  });

  it('rejects distributions it cannot read', () => {
    expect(() => confidenceSignals([1])).toThrow(/at least two logits/);
    expect(() => confidenceSignals([1, Number.NaN])).toThrow(/logit 1 is NaN/);
    expect(() => confidenceSignals([Infinity, 0])).toThrow(RangeError);
    expect(() => confidenceSignals([-Infinity, -Infinity])).toThrow(/every logit/);
  });
});
