import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logSoftmax } from '../../harness/stats/fidelity.ts';
import { clusteredStandardError, meanAndStandardError, perplexityStatistics } from '../../harness/stats/perplexity-statistics.ts';
import { fullKlDivergence, tokenDivergence, topKDistribution } from '../../harness/stats/token-divergence.ts';

const logs = (probabilities: number[]) => probabilities.map(Math.log);

describe('tokenDivergence (llama-perplexity --kl-divergence definitions)', () => {
  // Reference p = (0.5, 0.3, 0.15, 0.05), candidate q = (0.4, 0.4, 0.1, 0.1); the next token is 1.
  const p = [0.5, 0.3, 0.15, 0.05];
  const q = [0.4, 0.4, 0.1, 0.1];
  const fullKl = 0.5 * Math.log(0.5 / 0.4) + 0.3 * Math.log(0.3 / 0.4) + 0.15 * Math.log(0.15 / 0.1) + 0.05 * Math.log(0.05 / 0.1);

  it('with every token stored, KLD is Σ p log(p/q), Δp is q(token) − p(token), NLL is −log q(token)', () => {
    const stored = { ids: [0, 1, 2, 3], logProbs: logs(p), tailMass: 0, targetLogProb: Math.log(0.3) };
    const token = tokenDivergence(logs(q), 1, stored);
    expect(token.kld).toBeCloseTo(fullKl, 12);
    expect(token.kld).toBeCloseTo(0.0514296, 6);
    expect(token.deltaP).toBeCloseTo(0.4 - 0.3, 12);
    expect(token.nll).toBeCloseTo(-Math.log(0.4), 12);
    // argmax q is token 0 (the first of the tie 0.4 / 0.4, as llama.cpp's strict > scan picks it), argmax p is token 0.
    expect(token.sameTop1).toBe(true);
  });

  it('with the top 2 stored, the tail (tokens 2 and 3) is one bucket: a lower bound by the log-sum inequality', () => {
    const stored = topKDistribution(logs(p), 2, 1);
    expect(stored.ids).toEqual([0, 1]);
    expect(stored.tailMass).toBeCloseTo(0.2, 12);
    const bucketed = 0.5 * Math.log(0.5 / 0.4) + 0.3 * Math.log(0.3 / 0.4) + 0.2 * Math.log(0.2 / 0.2);
    const token = tokenDivergence(logs(q), 1, stored);
    expect(token.kld).toBeCloseTo(bucketed, 12);
    expect(token.kld).toBeLessThan(fullKl);
    // The gap is exactly P_tail · KL(p|tail ‖ q|tail): tails (0.75, 0.25) against (0.5, 0.5).
    expect(fullKl - token.kld).toBeCloseTo(0.2 * (0.75 * Math.log(0.75 / 0.5) + 0.25 * Math.log(0.25 / 0.5)), 12);
  });

  it('same top-1 fails when the candidate moves the most probable token; Δp is signed', () => {
    const stored = topKDistribution(logs(p), 2, 0);
    const token = tokenDivergence(logs([0.2, 0.6, 0.1, 0.1]), 0, stored);
    expect(token.sameTop1).toBe(false);
    expect(token.deltaP).toBeCloseTo(0.2 - 0.5, 12);
  });

  it('a distribution against itself has KLD 0 and Δp 0', () => {
    const row = logSoftmax([1, 2, 3, -1, 0.5]);
    const token = tokenDivergence(row, 3, topKDistribution(row, 2, 3));
    expect(token.kld).toBeCloseTo(0, 14);
    expect(token.deltaP).toBe(0);
    expect(token.sameTop1).toBe(true);
  });

  it('top-k selection breaks ties by the lower id, as argmax does', () => {
    expect(topKDistribution(logs([0.25, 0.25, 0.25, 0.25]), 3, 0).ids).toEqual([0, 1, 2]);
    expect(topKDistribution(logs([0.1, 0.3, 0.3, 0.3]), 2, 0).ids).toEqual([1, 2]);
  });

  it('for any two distributions and any k, the stored KL is at most the full KL, and equal with k = vocabulary', () => {
    const logits = fc.array(fc.double({ min: -8, max: 8, noNaN: true }), { minLength: 2, maxLength: 40 });
    fc.assert(
      fc.property(logits, logits, fc.integer({ min: 1, max: 40 }), (a, b, k) => {
        const n = Math.min(a.length, b.length);
        const p = logSoftmax(a.slice(0, n));
        const q = logSoftmax(b.slice(0, n));
        const full = fullKlDivergence(p, q);
        const stored = tokenDivergence(q, 0, topKDistribution(p, k, 0)).kld;
        expect(stored).toBeLessThanOrEqual(full + 1e-12);
        expect(stored).toBeGreaterThanOrEqual(-1e-12);
        expect(tokenDivergence(q, 0, topKDistribution(p, n, 0)).kld).toBeCloseTo(full, 10);
      }),
    );
  });
});

describe('perplexityStatistics', () => {
  const window = (nll: number[], kld: number[] = nll.map(() => 0), deltaP: number[] = nll.map(() => 0)) => ({
    nll,
    kld,
    deltaP,
    sameTop1: nll.map((_, i) => i % 2 === 0),
  });
  const record = { reference: 'fp32', file: 'ref.topk', sha256: 'x', topK: 2, meanTailMass: 0.1 };

  it('perplexity is exp(mean NLL) with llama-perplexity standard error, and the interval holds the estimate', () => {
    const nll = [1, 2, 3, 4];
    const score = perplexityStatistics([window(nll.slice(0, 2)), window(nll.slice(2))], undefined);
    expect(score.tokens).toBe(4);
    expect(score.value).toBeCloseTo(Math.exp(2.5), 12);
    // sqrt((E[x²] − E[x]²)/(n − 1)) = sqrt((7.5 − 6.25)/3)
    const se = Math.sqrt(1.25 / 3);
    expect(meanAndStandardError(nll).se).toBeCloseTo(se, 12);
    expect(score.ci95.lower).toBeCloseTo(Math.exp(2.5 - 1.959963984540054 * se), 10);
    expect(score.ci95.lower).toBeLessThan(score.value);
    expect(score.ci95.upper).toBeGreaterThan(score.value);
    // Windows as clusters: sums of deviations −2 and +2 → sqrt(2/1 · 8) / 4.
    expect(clusteredStandardError([nll.slice(0, 2), nll.slice(2)], 2.5)).toBeCloseTo(1, 12);
    expect(score.ci95Windows!.upper).toBeCloseTo(Math.exp(2.5 + 1.959963984540054), 10);
    expect(score.divergence).toBeUndefined();
  });

  it('KLD mean, median, p99 and max, same top-1 and Δp statistics with llama-perplexity percentiles', () => {
    const kld = [0.1, 0.4, 0.2, 0.3, 0.0];
    const deltaP = [-0.2, 0.1, 0.0, 0.3, -0.1];
    const score = perplexityStatistics([window([1, 1, 1, 1, 1], kld, deltaP)], record);
    const d = score.divergence!;
    expect(d.kld.mean).toBeCloseTo(0.2, 12);
    expect(d.kld.median).toBeCloseTo(0.2, 12);
    // fraction × (n − 1) = 0.99 × 4 = 3.96: 0.3 + 0.96 × (0.4 − 0.3)
    expect(d.kld.p99).toBeCloseTo(0.396, 12);
    expect(d.kld.max).toBe(0.4);
    expect(d.sameTop1).toBeCloseTo(3 / 5, 12);
    expect(d.deltaP.mean).toBeCloseTo(0.02, 12);
    expect(d.deltaP.rms).toBeCloseTo(Math.sqrt((0.04 + 0.01 + 0 + 0.09 + 0.01) / 5), 12);
    expect(d.deltaP.min).toBe(-0.2);
    expect(d.deltaP.max).toBe(0.3);
    expect(d.deltaP.median).toBeCloseTo(0, 12);
    expect(d.bound).toMatch(/lower bound/);
  });
});
