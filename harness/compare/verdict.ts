import type { Comparison } from '../core/comparison.ts';

/** A relative change in words: 0.0412 -> "4.1%"; the open end of a confidence sequence that bounds nothing yet -> "unbounded". */
export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : x > 0 ? 'unbounded' : '-unbounded');

/**
 * The rule every comparison with a CI follows. A change is a regression (or an
 * improvement) only when it is significant at alpha after Holm's adjustment,
 * its CI lies on that side of zero, and its size passes the threshold: a CI
 * gate must not fail a release over a real but negligible change. A CI wider
 * than twice the threshold cannot tell either way: noisy.
 */
export function verdictOfChange(input: {
  /** The measurement in words, e.g. "+4.1% [2.0%, 6.3%] over 5 vs 5 runner processes, Welch p 0.002 (Holm)". */
  stats: string;
  /** Relative change, candidate against baseline. */
  change: number;
  ci: { lower: number; upper: number };
  adjustedP: number;
  alpha: number;
  threshold: number;
  higherIsBetter: boolean;
  /** What to do about a noisy verdict. */
  remedy: string;
}): Pick<Comparison, 'verdict' | 'rule'> {
  const { stats, change, ci, alpha, threshold } = input;
  const worse = (x: number) => (input.higherIsBetter ? -x : x);
  // The end of the CI nearest to "no change", on the worse and on the better side.
  const worseBound = worse(input.higherIsBetter ? ci.upper : ci.lower);
  const betterBound = -worse(input.higherIsBetter ? ci.lower : ci.upper);
  const significant = input.adjustedP < alpha;
  if (significant && worse(change) > threshold && worseBound > 0)
    return { verdict: 'regressed', rule: `${stats}: significant at ${alpha} and worse than the ${pct(threshold)} threshold` };
  if (significant && -worse(change) > threshold && betterBound > 0)
    return { verdict: 'improved', rule: `${stats}: significant at ${alpha} and better than the ${pct(threshold)} threshold` };
  if (ci.upper - ci.lower > 2 * threshold)
    return { verdict: 'noisy', rule: `${stats}: the 95% CI is wider than twice the ${pct(threshold)} threshold; ${input.remedy}` };
  return { verdict: 'unchanged', rule: `${stats}: ${significant ? 'smaller than' : `not significant at ${alpha}, or within`} the ${pct(threshold)} threshold` };
}
