import { sequentialEstimate } from '../stats/betting-confidence-sequence.ts';
import { percentileOfSorted, sortAscending } from '../stats/percentile.ts';

/**
 * The smallest relative change a device's rounds could tell from no change, as the gate's summary states it for
 * each tier: the half-width of the anytime-valid confidence sequence (harness/stats/betting-confidence-sequence.ts)
 * at the level a regressed verdict needs (alpha over the comparisons it is adjusted for), computed on the rounds'
 * per-round log ratios centred on their median, so their spread sets it and not the change they measured; never
 * less than the threshold, below which nothing is called regressed. A change this large, added to the same
 * rounds, would lie outside the sequence; a smaller one may pass. Infinity while the sequence is unbounded (too
 * few or too spread rounds for that level: the bets' capital cannot reach 1 / level's error yet).
 */
export function resolvableChange(logRatios: readonly number[], settings: { alpha: number; comparisons: number; threshold: number }): number {
  if (logRatios.length < 2) return Infinity;
  const centre = percentileOfSorted(sortAscending(logRatios), 0.5);
  const level = 1 - settings.alpha / Math.max(1, settings.comparisons);
  const ci = sequentialEstimate(
    logRatios.map((r) => r - centre),
    [level],
  ).intervals.get(level)!;
  const halfWidth = Math.max(-ci.lower, ci.upper);
  return Math.max(settings.threshold, Math.exp(halfWidth) - 1);
}
