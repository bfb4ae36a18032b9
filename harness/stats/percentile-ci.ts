/**
 * Confidence interval for a population quantile from the sample's order statistics
 * (Conover 1999, Practical Nonparametric Statistics, section 3.2; Hahn & Meeker 1991, Statistical Intervals, chapter 5).
 */

const METHOD = 'order statistics, exact binomial coverage';

function validateRankAndConfidence(p: number, confidence: number): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`quantile rank must be strictly between 0 and 1, got ${p}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be strictly between 0 and 1, got ${confidence}`);
}

/**
 * Probabilities of B = 0..n for B ~ Binomial(n, p). Built outward from the mode with the
 * ratio pmf(k + 1) / pmf(k) = (n - k) p / ((k + 1)(1 - p)) and then normalised, so no factorial
 * overflows and terms far from the mode underflow harmlessly to 0. O(n), hence exact for every n.
 */
function binomialProbabilities(n: number, p: number): Float64Array {
  const probabilities = new Float64Array(n + 1);
  const mode = Math.min(n, Math.floor((n + 1) * p));
  const odds = p / (1 - p);
  probabilities[mode] = 1;
  for (let k = mode; k < n; k++) probabilities[k + 1] = (probabilities[k]! * (n - k) * odds) / (k + 1);
  for (let k = mode; k > 0; k--) probabilities[k - 1] = (probabilities[k]! * k) / ((n - k + 1) * odds);
  let total = 0;
  for (const probability of probabilities) total += probability;
  for (let k = 0; k <= n; k++) probabilities[k]! /= total;
  return probabilities;
}

/**
 * 1-based ranks l <= u with P(l <= B < u) >= confidence, B ~ Binomial(n, p) counting the samples
 * below the quantile; then [x(l), x(u)] covers it with that probability whatever the distribution.
 * Equal tails of at most (1 - confidence) / 2 each; when the sample's extreme cannot make one tail
 * that small, the other tail gets what is left. Undefined when no ranks reach the confidence.
 */
function orderStatisticRanks(n: number, p: number, confidence: number): { lower: number; upper: number } | undefined {
  const probabilities = binomialProbabilities(n, p);
  // below[k] = P(B <= k) and above[k] = P(B >= k), each summed from its own small end for accuracy.
  const below = new Float64Array(n + 1);
  const above = new Float64Array(n + 2);
  for (let k = 0, sum = 0; k <= n; k++) below[k] = sum += probabilities[k]!;
  for (let k = n, sum = 0; k >= 0; k--) above[k] = sum += probabilities[k]!;
  const alpha = 1 - confidence;
  // Tail below the interval is P(B < l) = below[l - 1]; above it, P(B >= u) = above[u].
  const largestLower = (budget: number): number | undefined => {
    let l: number | undefined;
    for (let k = 1; k <= n && below[k - 1]! <= budget; k++) l = k;
    return l;
  };
  const smallestUpper = (budget: number): number | undefined => {
    let u: number | undefined;
    for (let k = n; k >= 1 && above[k]! <= budget; k--) u = k;
    return u;
  };
  let lower = largestLower(alpha / 2);
  let upper = smallestUpper(alpha / 2);
  if (lower === undefined && upper !== undefined) upper = smallestUpper(alpha - below[0]!) ?? n;
  if (upper === undefined && lower !== undefined) lower = largestLower(alpha - above[n]!) ?? 1;
  lower ??= 1;
  upper ??= n;
  const coverage = 1 - below[lower - 1]! - above[upper]!;
  return lower <= upper && coverage >= confidence ? { lower, upper } : undefined;
}

/**
 * Distribution-free interval for the p-th quantile from order statistics: its coverage is exact
 * for any continuous distribution and needs no resampling, unlike a bootstrap of the percentile.
 * `sorted` must be ascending. Undefined when the sample is too small for the confidence asked
 * (p99 at 95% needs 299 samples): report "not enough samples".
 */
export function percentileInterval(sorted: ArrayLike<number>, p: number, confidence = 0.95): { lower: number; upper: number; method: string } | undefined {
  validateRankAndConfidence(p, confidence);
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentile interval of an empty sample');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(sorted[i])) throw new RangeError(`percentile interval needs finite values; value ${i} is ${sorted[i]}`);
    if (i > 0 && sorted[i]! < sorted[i - 1]!) throw new RangeError(`percentile interval needs ascending values; value ${i} is below value ${i - 1}`);
  }
  const ranks = orderStatisticRanks(n, p, confidence);
  if (ranks === undefined) return undefined;
  return { lower: sorted[ranks.lower - 1]!, upper: sorted[ranks.upper - 1]!, method: METHOD };
}

/** Fewest samples for which percentileInterval gives an interval of the p-th quantile at this confidence. */
export function minimumSamplesForPercentile(p: number, confidence = 0.95): number {
  validateRankAndConfidence(p, confidence);
  // Coverage never exceeds 1 - max(p, 1 - p)^n (one tail is at least the chance that every sample
  // falls on one side), so no smaller n can work; the answer is usually this bound or just above it.
  let n = Math.max(1, Math.ceil(Math.log(1 - confidence) / Math.log(Math.max(p, 1 - p))));
  while (orderStatisticRanks(n, p, confidence) === undefined) n++;
  return n;
}
