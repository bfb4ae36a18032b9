/**
 * Percentile of sorted values by linear interpolation between closest ranks
 * (Hyndman & Fan 1996, definition 7; the default of R, NumPy and Excel's PERCENTILE.INC).
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile rank must be in [0, 1], got ${p}`);
  const h = (sorted.length - 1) * p;
  const lower = Math.floor(h);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (h - lower) * (sorted[upper]! - sorted[lower]!);
}

export function sortAscending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** The median: the middle value, or the mean of the two middle values of an even-sized sample (definition 7 at p = 0.5). */
export function median(values: readonly number[]): number {
  return percentileOfSorted(sortAscending(values), 0.5);
}
