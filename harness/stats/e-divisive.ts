import { mulberry32 } from './random.ts';

/**
 * E-divisive means (Matteson & James 2014, "A nonparametric approach for
 * multiple change point analysis of multivariate data", with alpha = 1), the
 * method Apache Otava (formerly Hunter) applies to CI performance series:
 * the split that maximises the scaled energy distance between the two sides
 * is a candidate; a permutation test decides whether it is significant; the
 * search recurses into each side (hierarchical bisection).
 */

export interface ChangePoint {
  /** Index of the first value after the change. */
  index: number;
  /** Mean before and after, within the segment the change was found in. */
  meanBefore: number;
  meanAfter: number;
  /** Permutation p-value of the split. */
  pValue: number;
}

export interface EDivisiveOptions {
  /** Significance level of each split (default 0.01: every recursion step is another test, so each must be strict). */
  alpha?: number;
  /** Permutations per test (default 199: p-values down to 0.005). */
  permutations?: number;
  /** Fewest values on either side of a change (default 3). */
  minSegment?: number;
  /** Seed of the permutations: the same series gives the same answer. */
  seed?: number;
}

/** The split of `x` maximising the scaled energy statistic Q(tau), and that maximum. */
export function bestSplit(x: readonly number[], minSegment: number): { index: number; q: number } | undefined {
  const n = x.length;
  if (n < 2 * minSegment) return undefined;
  // Pairwise distances, once: O(n^2) memory is fine for CI histories (hundreds to a few thousand runs).
  const d = (i: number, j: number) => Math.abs(x[i]! - x[j]!);
  // within[t] = sum of |x_i - x_k| over i < k < t (left side), and the same over the right side, by prefix sums.
  const leftWithin = new Float64Array(n + 1);
  for (let t = 1; t <= n; t++) {
    let added = 0;
    for (let i = 0; i < t - 1; i++) added += d(i, t - 1);
    leftWithin[t] = leftWithin[t - 1]! + added;
  }
  const rightWithin = new Float64Array(n + 1);
  for (let t = n - 1; t >= 0; t--) {
    let added = 0;
    for (let k = t + 1; k < n; k++) added += d(t, k);
    rightWithin[t] = rightWithin[t + 1]! + added;
  }
  // Between-sides sums, updated as the split moves right by one.
  let between = 0;
  for (let j = 1; j < n; j++) between += d(0, j);
  let best: { index: number; q: number } | undefined;
  for (let t = 1; t < n; t++) {
    if (t > 1) {
      // Value t-1 moves from the right side to the left.
      for (let i = 0; i < t - 1; i++) between -= d(i, t - 1);
      for (let j = t; j < n; j++) between += d(t - 1, j);
    }
    const m = t;
    const k = n - t;
    if (m < minSegment || k < minSegment) continue;
    const energy = (2 / (m * k)) * between - (m > 1 ? leftWithin[t]! / ((m * (m - 1)) / 2) : 0) - (k > 1 ? rightWithin[t]! / ((k * (k - 1)) / 2) : 0);
    const q = ((m * k) / n) * energy;
    if (!best || q > best.q) best = { index: t, q };
  }
  return best;
}

/** Change points of a series, in order. */
export function eDivisive(series: readonly number[], options: EDivisiveOptions = {}): ChangePoint[] {
  const alpha = options.alpha ?? 0.01;
  const permutations = options.permutations ?? 199;
  const minSegment = options.minSegment ?? 3;
  const random = mulberry32(options.seed ?? 1);
  const found: ChangePoint[] = [];
  const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

  const search = (start: number, end: number) => {
    const segment = series.slice(start, end);
    const split = bestSplit(segment, minSegment);
    if (!split || split.q <= 0) return;
    // Permutation test: how often does a shuffled segment split as well as this one?
    let asGood = 0;
    const shuffled = [...segment];
    for (let r = 0; r < permutations; r++) {
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      if ((bestSplit(shuffled, minSegment)?.q ?? 0) >= split.q) asGood++;
    }
    const pValue = (asGood + 1) / (permutations + 1);
    if (pValue > alpha) return;
    const index = start + split.index;
    found.push({ index, meanBefore: mean(segment.slice(0, split.index)), meanAfter: mean(segment.slice(split.index)), pValue });
    search(start, index);
    search(index, end);
  };
  search(0, series.length);
  return found.sort((a, b) => a.index - b.index);
}
