import type { Comparison } from '../core/comparison.ts';
import { sequentialEstimate } from '../stats/betting-confidence-sequence.ts';
import { pct } from './verdict.ts';

/** The method in words, for results.json and every rule it decides. */
export const SEQUENTIAL_METHOD =
  'anytime-valid confidence sequence of the shift of the per-round log ratios B/A, by betting on clipped rounds (Waudby-Smith & Ramdas 2024, JRSS-B; time-uniform by Ville, as in Howard et al. 2021, Ann. Statist.)';

/** The gate's tiers: what each costs and resolves is stated in its summary. */
export type SequentialTier = 'quick' | 'standard' | 'rigorous';

export interface SequentialSettings {
  tier?: SequentialTier;
  /** Rounds before any decision. */
  minRounds: number;
  maxRounds: number;
  /** Error rate of stopping for "no change beyond the threshold" while there is one. */
  futility: number;
}

/** Default: decide from 6 rounds on, never run more than 60, and stop for "no change beyond the threshold" at 90% confidence. */
export const SEQUENTIAL_DEFAULTS: SequentialSettings = { tier: 'standard', minRounds: 6, maxRounds: 60, futility: 0.1 };
/** --rigorous: a 1% threshold, up to 200 rounds, 95% confidence for "no change". */
export const SEQUENTIAL_RIGOROUS: SequentialSettings & { threshold: number } = {
  tier: 'rigorous',
  minRounds: 6,
  maxRounds: 200,
  futility: 0.05,
  threshold: 0.01,
};
/** --quick: at most 20 rounds, a third of the default's most; the summary says the smallest change its rounds resolved. */
export const SEQUENTIAL_QUICK: SequentialSettings = { tier: 'quick', minRounds: 6, maxRounds: 20, futility: 0.1 };

export interface SequentialMeasure {
  /** Relative change B/A - 1 (the median round). */
  change: number;
  /** The 95% confidence sequence of the relative change, after the last round. */
  ci95: { lower: number; upper: number };
  /** The (1 - futility) confidence sequence, which decides "no change beyond the threshold". */
  futilityCi: { lower: number; upper: number };
  /** Anytime-valid p-value of "no change". */
  pValue: number;
  n: number;
}

const relative = (log: number) => Math.exp(log) - 1;

/** Measures the per-round log ratios with the anytime-valid confidence sequences. */
export function sequentialMeasure(logRatios: readonly number[], futility: number): SequentialMeasure {
  const estimate = sequentialEstimate(logRatios, [0.95, 1 - futility]);
  const toRelative = (i: { lower: number; upper: number }) => ({ lower: relative(i.lower), upper: relative(i.upper) });
  return {
    change: relative(estimate.estimate),
    ci95: toRelative(estimate.intervals.get(0.95)!),
    futilityCi: toRelative(estimate.intervals.get(1 - futility)!),
    pValue: estimate.pValue,
    n: estimate.n,
  };
}

/**
 * A verdict that holds whenever the rounds stopped. Regressed (or improved): the
 * adjusted anytime p-value is below alpha, the 95% sequence lies on that side
 * of zero and the change passes the threshold; unchanged: the (1 - futility)
 * sequence rules out a worsening beyond the threshold; otherwise undecided
 * (noisy), and another round is worth running.
 */
export function sequentialVerdict(input: {
  stats: string;
  measure: SequentialMeasure;
  adjustedP: number;
  alpha: number;
  threshold: number;
  higherIsBetter: boolean;
  futility: number;
}): Pick<Comparison, 'verdict' | 'rule'> {
  const { stats, measure, alpha, threshold, futility } = input;
  const worse = (x: number) => (input.higherIsBetter ? -x : x);
  const nearZero = (ci: { lower: number; upper: number }, side: 'worse' | 'better') =>
    side === 'worse' ? worse(input.higherIsBetter ? ci.upper : ci.lower) : -worse(input.higherIsBetter ? ci.lower : ci.upper);
  const significant = input.adjustedP < alpha;
  if (significant && worse(measure.change) > threshold && nearZero(measure.ci95, 'worse') > 0)
    return { verdict: 'regressed', rule: `${stats}: significant at ${alpha} and worse than the ${pct(threshold)} threshold` };
  if (significant && -worse(measure.change) > threshold && nearZero(measure.ci95, 'better') > 0)
    return { verdict: 'improved', rule: `${stats}: significant at ${alpha} and better than the ${pct(threshold)} threshold` };
  // The end of the futility sequence furthest on the worse side.
  const worstCase = worse(input.higherIsBetter ? measure.futilityCi.lower : measure.futilityCi.upper);
  if (worstCase < threshold)
    return {
      verdict: 'unchanged',
      rule: `${stats}: at most ${pct(Math.max(0, worstCase))} worse at ${pct(1 - futility)} confidence, within the ${pct(threshold)} threshold`,
    };
  return {
    verdict: 'noisy',
    rule: `${stats}: undecided: a worsening beyond the ${pct(threshold)} threshold is not ruled out; raise --rounds or quiet the device`,
  };
}
