import { describe, expect, it } from 'vitest';
import { fidelity, klDivergence, logSoftmax } from '../../harness/stats/fidelity.ts';

describe('fidelity', () => {
  it('logSoftmax is stable for large logits', () => {
    const out = logSoftmax([1000, 1000]);
    expect(out[0]).toBeCloseTo(Math.log(0.5), 12);
  });

  it('KL divergence matches a hand computation', () => {
    // P = softmax([0, ln 3]) = (0.25, 0.75); Q = (0.5, 0.5): KL = 0.25 ln 0.5 + 0.75 ln 1.5.
    expect(klDivergence([0, Math.log(3)], [0, 0])).toBeCloseTo(0.25 * Math.log(0.5) + 0.75 * Math.log(1.5), 12);
    expect(klDivergence([1, 2, 3], [1, 2, 3])).toBe(0);
    // Shifting all logits changes nothing.
    expect(klDivergence([1, 2, 3], [11, 12, 13])).toBeCloseTo(0, 12);
  });

  it('summarises rows: mean KL, top-1 agreement and the largest logit error', () => {
    const reference = [Float32Array.of(0, 1, 5, 0), Float32Array.of(2, 0)];
    const candidate = [Float32Array.of(0, 1, 0, 5), Float32Array.of(2, 0.5)];
    const result = fidelity(reference, candidate, 2);
    expect(result.distributions).toBe(3);
    expect(result.top1Agreement).toBeCloseTo(2 / 3, 12);
    expect(result.maxAbsLogitError).toBe(5);
    const expectedKl = (0 + klDivergence([5, 0], [0, 5]) + klDivergence([2, 0], [2, 0.5])) / 3;
    expect(result.meanKlDivergence).toBeCloseTo(expectedKl, 12);
  });

  it('rejects outputs of different shapes', () => {
    expect(() => fidelity([Float32Array.of(1, 2)], [Float32Array.of(1, 2, 3)], 2)).toThrow(/not rows of 2/);
  });
});
