/**
 * Wilcoxon signed-rank test and the one-sample Hodges-Lehmann estimate with its
 * distribution-free CI (Hollander, Wolfe & Chicken, Nonparametric Statistical
 * Methods, 3rd ed., sections 3.1-3.3). For paired differences: robust to the
 * odd round a noisy machine ruins, where a test on the mean is not.
 * Zero differences are dropped (Wilcoxon's convention). Exact null
 * distribution of T+ (by counting rank subsets) up to 60 non-zero differences
 * without ties; otherwise the normal approximation with tie correction.
 */
import { normalUpperTail } from './mann-whitney.ts';
import { normalQuantile } from './wilson.ts';
import { percentileOfSorted } from './percentile.ts';

export interface SignedRankResult {
  /** Median of the Walsh averages (x_i + x_j) / 2, i <= j. */
  estimate: number;
  lower: number;
  upper: number;
  /** Two-sided p-value of "the differences are symmetric about zero". */
  pValue: number;
  method: string;
}

const EXACT_LIMIT = 60;

export function signedRankTest(differences: readonly number[], confidence = 0.95): SignedRankResult {
  if (differences.length === 0) throw new RangeError('signed-rank test of an empty sample');
  if (differences.some((d) => !Number.isFinite(d))) throw new RangeError('signed-rank test needs finite differences');
  const walsh = walshAverages(differences);
  const estimate = percentileOfSorted(walsh, 0.5);
  const nonZero = differences.filter((d) => d !== 0);
  const n = nonZero.length;
  if (n === 0) return { estimate, lower: estimate, upper: estimate, pValue: 1, method: 'Wilcoxon signed-rank: every difference is zero' };

  const { ranks, ties } = averageRanks(nonZero.map(Math.abs));
  const tPlus = nonZero.reduce((sum, d, i) => sum + (d > 0 ? ranks[i]! : 0), 0);
  const total = (n * (n + 1)) / 2;
  const alpha = 1 - confidence;
  let pValue: number;
  let k: number; // the CI runs from the k-th smallest to the k-th largest Walsh average
  let method: string;
  if (n <= EXACT_LIMIT && !ties) {
    const cdf = exactCdf(n);
    const lowerTail = cdf[Math.floor(Math.min(tPlus, total - tPlus))]!;
    pValue = Math.min(1, 2 * lowerTail);
    k = 0;
    while (k + 1 <= total && cdf[k]! <= alpha / 2) k++;
    method = `Wilcoxon signed-rank, exact over ${n} non-zero differences`;
  } else {
    const mean = total / 2;
    const variance = (n * (n + 1) * (2 * n + 1)) / 24 - ties / 48;
    const z = (Math.abs(tPlus - mean) - 0.5) / Math.sqrt(variance);
    pValue = Math.min(1, 2 * normalUpperTail(Math.max(0, z)));
    k = Math.max(0, Math.floor(mean - normalQuantile(1 - alpha / 2) * Math.sqrt(variance)));
    method = `Wilcoxon signed-rank, normal approximation over ${n} non-zero differences${ties ? ' (tie-corrected)' : ''}`;
  }
  // Hodges-Lehmann CI: with k = the largest integer with P(T+ <= k - 1) <= alpha / 2, [W(k), W(M + 1 - k)].
  const m = walsh.length;
  const lower = k >= 1 ? walsh[k - 1]! : -Infinity;
  const upper = k >= 1 ? walsh[m - k]! : Infinity;
  return { estimate, lower, upper, pValue, method };
}

/** All (x_i + x_j) / 2 with i <= j, sorted. */
function walshAverages(values: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) for (let j = i; j < values.length; j++) out.push((values[i]! + values[j]!) / 2);
  return out.sort((a, b) => a - b);
}

/** Ranks of |d| (1-based, ties averaged), and the tie correction sum of t^3 - t over tied groups. */
function averageRanks(values: number[]): { ranks: number[]; ties: number } {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length);
  let ties = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++;
    const size = end - start + 1;
    if (size > 1) ties += size ** 3 - size;
    for (let k = start; k <= end; k++) ranks[order[k]![1]] = (start + end) / 2 + 1;
    start = end + 1;
  }
  return { ranks, ties };
}

/** P(T+ <= t) for t = 0..n(n+1)/2 under the null: each rank's sign is a fair coin. */
function exactCdf(n: number): number[] {
  const total = (n * (n + 1)) / 2;
  let counts = new Float64Array(total + 1);
  counts[0] = 1;
  for (let rank = 1; rank <= n; rank++) {
    const next = new Float64Array(total + 1);
    for (let s = 0; s <= total; s++) {
      const ways = counts[s]!;
      if (ways === 0) continue;
      next[s] = next[s]! + ways;
      if (s + rank <= total) next[s + rank] = next[s + rank]! + ways;
    }
    counts = next;
  }
  const all = 2 ** n;
  const cdf: number[] = [];
  let running = 0;
  for (let s = 0; s <= total; s++) {
    running += counts[s]!;
    cdf.push(running / all);
  }
  return cdf;
}
