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

/** A sorted copy; a typed array sorts numerically without a comparator call per step, which matters at 10^6 samples. */
export function sortAscending(values: readonly number[]): Float64Array {
  return Float64Array.from(values).sort();
}

/**
 * percentileOfSorted of values in any order, by selection instead of sorting: expected O(n)
 * (Hoare's quickselect with random pivots, which no input order can make quadratic on average).
 */
export function percentileOfUnsorted(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty sample');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile rank must be in [0, 1], got ${p}`);
  const a = Float64Array.from(values);
  const h = (a.length - 1) * p;
  const lower = Math.floor(h);
  selectInPlace(a, lower);
  if (lower + 1 >= a.length || h === lower) return a[lower]!;
  // After selection everything past `lower` is at least a[lower]: the next order statistic is their minimum.
  let next = Infinity;
  for (let i = lower + 1; i < a.length; i++) if (a[i]! < next) next = a[i]!;
  return a[lower]! + (h - lower) * (next - a[lower]!);
}

/** Rearranges `a` so that a[k] holds the k-th smallest value, smaller ones before it and larger ones after. */
function selectInPlace(a: Float64Array, k: number): void {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[left + Math.floor(Math.random() * (right - left + 1))]!;
    // Three-way partition: values equal to the pivot need no further work, so many ties stay linear.
    let lt = left;
    let gt = right;
    let i = left;
    while (i <= gt) {
      const v = a[i]!;
      if (v < pivot) {
        a[i++] = a[lt]!;
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt]!;
        a[gt--] = v;
      } else i++;
    }
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else return;
  }
}

/** The median: the middle value, or the mean of the two middle values of an even-sized sample (definition 7 at p = 0.5). */
export function median(values: readonly number[]): number {
  return percentileOfSorted(sortAscending(values), 0.5);
}
