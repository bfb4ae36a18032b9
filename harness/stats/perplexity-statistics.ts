import type { PerplexityScore } from '../core/quality.ts';
import { percentileOfSorted } from './percentile.ts';
import type { TokenDivergence } from './token-divergence.ts';

const Z95 = 1.959963984540054;

/** The per-token values of one window, as the runner records them. */
export interface WindowTokens {
  nll: readonly number[];
  kld: readonly number[];
  deltaP: readonly number[];
  sameTop1: readonly boolean[];
}

/** What the divergence block says about where its reference came from. */
export interface ReferenceRecord {
  reference: string;
  file: string;
  sha256: string;
  topK: number;
  meanTailMass: number;
}

export const TOP_K_BOUND =
  'KL over the stored top-k tokens plus one bucket for the remaining mass: a lower bound of the full-vocabulary KL (log-sum inequality), short of it by P_tail · KL(p|tail ‖ q|tail)';

export const DEFINITIONS =
  'llama.cpp llama-perplexity --kl-divergence (tools/perplexity/perplexity.cpp, log_softmax with base_log_prob): KLD = Σ p (log p − log q); same top-1 = argmax q = argmax p; Δp = q(token) − p(token) of the actual next token. Here the reference is stored as top-k plus one tail bucket (llama.cpp: every token at 16 bits, skipping base log-probabilities ≤ −16)';

/**
 * llama-perplexity's mean_and_uncertainty: the mean and the standard error
 * sqrt((E[x²] − E[x]²) / (n − 1)).
 */
export function meanAndStandardError(values: readonly number[]): { mean: number; se: number } {
  const n = values.length;
  let sum = 0;
  let sum2 = 0;
  for (const v of values) {
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / n;
  const variance = sum2 / n - mean * mean;
  return { mean, se: n > 1 && variance > 0 ? Math.sqrt(variance / (n - 1)) : 0 };
}

/**
 * Standard error of the mean over all tokens with windows as clusters
 * (cluster-robust, CR1): sqrt(W/(W−1) · Σ_w (Σ_{t∈w} (x_t − mean))²) / n.
 */
export function clusteredStandardError(windows: readonly (readonly number[])[], mean: number): number | undefined {
  const w = windows.length;
  if (w < 2) return undefined;
  let n = 0;
  let sum = 0;
  for (const values of windows) {
    let s = 0;
    for (const v of values) s += v - mean;
    sum += s * s;
    n += values.length;
  }
  return Math.sqrt((w / (w - 1)) * sum) / n;
}

/** Perplexity of the scored tokens with its intervals, and the divergence statistics when a reference is given. */
export function perplexityStatistics(windows: readonly WindowTokens[], reference: ReferenceRecord | undefined): PerplexityScore {
  const nll = windows.flatMap((w) => w.nll);
  if (nll.length === 0) throw new RangeError('perplexity of no tokens');
  const { mean, se } = meanAndStandardError(nll);
  const clustered = clusteredStandardError(
    windows.map((w) => w.nll),
    mean,
  );
  const interval = (e: number) => ({ lower: Math.exp(mean - Z95 * e), upper: Math.exp(mean + Z95 * e) });
  const score: PerplexityScore = {
    tokens: nll.length,
    windows: windows.length,
    meanNll: mean,
    value: Math.exp(mean),
    ci95: interval(se),
    ...(clustered !== undefined ? { ci95Windows: interval(clustered) } : {}),
    method:
      'exp(mean NLL over scored tokens); ci95 = exp(mean ± 1.96·SE), SE over tokens as llama-perplexity (delta method); ci95Windows with windows as clusters (CR1)',
  };
  if (!reference) return score;
  const kld = windows.flatMap((w) => w.kld);
  const deltaP = windows.flatMap((w) => w.deltaP);
  const same = windows.flatMap((w) => w.sameTop1);
  const sortedKld = Float64Array.from(kld).sort();
  const sortedDeltaP = Float64Array.from(deltaP).sort();
  const at = (sorted: Float64Array, p: number) => percentileOfSorted(sorted, p);
  const kldStats = meanAndStandardError(kld);
  return {
    ...score,
    divergence: {
      ...reference,
      bound: TOP_K_BOUND,
      kld: { mean: kldStats.mean, median: at(sortedKld, 0.5), p99: at(sortedKld, 0.99), max: sortedKld[sortedKld.length - 1]! },
      kldMeanSe: kldStats.se,
      sameTop1: same.filter(Boolean).length / same.length,
      deltaP: {
        mean: deltaP.reduce((a, b) => a + b, 0) / deltaP.length,
        rms: Math.sqrt(deltaP.reduce((a, b) => a + b * b, 0) / deltaP.length),
        min: sortedDeltaP[0]!,
        p1: at(sortedDeltaP, 0.01),
        p5: at(sortedDeltaP, 0.05),
        p10: at(sortedDeltaP, 0.1),
        median: at(sortedDeltaP, 0.5),
        p90: at(sortedDeltaP, 0.9),
        p95: at(sortedDeltaP, 0.95),
        p99: at(sortedDeltaP, 0.99),
        max: sortedDeltaP[sortedDeltaP.length - 1]!,
      },
      definitions: DEFINITIONS,
    },
  };
}

/** The per-token values of a window, split into the columns the runner records. */
export function windowColumns(tokens: readonly TokenDivergence[]): WindowTokens {
  return {
    nll: tokens.map((t) => t.nll),
    kld: tokens.map((t) => t.kld),
    deltaP: tokens.map((t) => t.deltaP),
    sameTop1: tokens.map((t) => t.sameTop1),
  };
}
