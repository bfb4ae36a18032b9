import { normalQuantile } from './wilson.ts';

export interface ShiftEstimate {
  shift: number;
  lower: number;
  upper: number;
  method: string;
}

const METHOD = 'Hodges-Lehmann median of pairwise differences; Moses interval from the Mann-Whitney critical value (normal approximation)';

/** A gathered candidate set at most this many times n1 + n2 is sorted directly instead of narrowed further. */
const BUCKET_PER_VALUE = 4;

function sortedCopy(values: readonly number[], name: string): Float64Array {
  if (values.length === 0) throw new RangeError(`Hodges-Lehmann shift: sample ${name} is empty`);
  const index = values.findIndex((v) => !Number.isFinite(v));
  if (index >= 0) throw new RangeError(`Hodges-Lehmann shift: sample ${name} value ${index} is ${values[index]}, not a finite number`);
  return Float64Array.from(values).sort();
}

/** Number of pairwise differences b[j] - a[i] at or below t; both ascending, so two pointers suffice: O(n1 + n2). */
function countAtOrBelow(a: Float64Array, b: Float64Array, t: number): number {
  let count = 0;
  let i = 0;
  for (let j = 0; j < b.length; j++) {
    while (i < a.length && b[j]! - a[i]! > t) i++;
    count += a.length - i;
  }
  return count;
}

/** The `size` differences in (lo, hi], sorted; two pointers again, so O(n1 + n2 + size). */
function differencesBetween(a: Float64Array, b: Float64Array, lo: number, hi: number, size: number): Float64Array {
  const found = new Float64Array(size);
  let filled = 0;
  let first = 0; // first i with b[j] - a[i] <= hi
  let end = 0; // first i with b[j] - a[i] <= lo
  for (let j = 0; j < b.length; j++) {
    while (first < a.length && b[j]! - a[first]! > hi) first++;
    while (end < a.length && b[j]! - a[end]! > lo) end++;
    for (let i = first; i < end; i++) found[filled++] = b[j]! - a[i]!;
  }
  return found.sort();
}

/**
 * k-th smallest (1-based) of the n1 n2 differences b[j] - a[i] without forming them all: bisect on
 * the value, counting differences below it in O(n1 + n2), until few enough remain to sort (cf.
 * Johnson & Mizoguchi 1978 on selection in X + Y). Exact on every input, unlike subsampling.
 */
function kthDifference(a: Float64Array, b: Float64Array, k: number): number {
  let lo = b[0]! - a[a.length - 1]!;
  let hi = b[b.length - 1]! - a[0]!;
  let countLo = countAtOrBelow(a, b, lo);
  if (countLo >= k) return lo;
  let countHi = a.length * b.length;
  const bucketLimit = BUCKET_PER_VALUE * (a.length + b.length);
  // Invariant: countLo < k <= countHi, so the answer lies in (lo, hi].
  while (countHi - countLo > bucketLimit) {
    const mid = lo / 2 + hi / 2;
    if (!(mid > lo && mid < hi)) return hi; // no double strictly inside: every candidate equals hi
    const countMid = countAtOrBelow(a, b, mid);
    if (countMid < k) [lo, countLo] = [mid, countMid];
    else [hi, countHi] = [mid, countMid];
  }
  return differencesBetween(a, b, lo, hi, countHi - countLo)[k - countLo - 1]!;
}

function shiftOfSorted(a: Float64Array, b: Float64Array, confidence: number): ShiftEstimate {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be strictly between 0 and 1, got ${confidence}`);
  const pairs = a.length * b.length;
  const shift = pairs % 2 === 1 ? kthDifference(a, b, (pairs + 1) / 2) : (kthDifference(a, b, pairs / 2) + kthDifference(a, b, pairs / 2 + 1)) / 2;
  // Moses (1965; Hollander & Wolfe 1999, section 4.3): the interval runs from the k-th to the
  // (n1 n2 + 1 - k)-th difference, with k the lower critical value of U at (1 - confidence) / 2,
  // here from the normal approximation with continuity correction.
  const sigma = Math.sqrt((pairs * (a.length + b.length + 1)) / 12);
  const k = Math.floor(pairs / 2 + 0.5 - normalQuantile(1 - (1 - confidence) / 2) * sigma);
  // Too few pairs for the confidence asked: only the whole line has that coverage.
  if (k < 1) return { shift, lower: -Infinity, upper: Infinity, method: METHOD };
  return { shift, lower: kthDifference(a, b, k), upper: kthDifference(a, b, pairs + 1 - k), method: METHOD };
}

/**
 * Hodges-Lehmann (1963) shift of candidate b against baseline a (positive: b is larger), robust to
 * outliers and skew, with a distribution-free interval. Every one of the n1 n2 pairs counts, yet
 * 5000 x 5000 samples take tens of milliseconds. Infinite bounds: too few samples for the confidence.
 */
export function hodgesLehmannShift(a: readonly number[], b: readonly number[], confidence = 0.95): ShiftEstimate {
  return shiftOfSorted(sortedCopy(a, 'a'), sortedCopy(b, 'b'), confidence);
}

/**
 * Relative change of b against a (0.1: b is 10% larger), with interval: the shift of log values,
 * mapped back by exp(x) - 1. It estimates the ratio of the typical values, which suits latencies,
 * whose spread grows with their size.
 */
export function relativeShift(a: readonly number[], b: readonly number[], confidence = 0.95): ShiftEstimate {
  const logOf = (values: readonly number[], name: string): number[] =>
    values.map((value, index) => {
      if (!(value > 0) || !Number.isFinite(value))
        throw new RangeError(`relative shift needs positive finite values; sample ${name} value ${index} is ${value}`);
      return Math.log(value);
    });
  const logShift = hodgesLehmannShift(logOf(a, 'a'), logOf(b, 'b'), confidence);
  return {
    shift: Math.expm1(logShift.shift),
    lower: Math.expm1(logShift.lower),
    upper: Math.expm1(logShift.upper),
    method: `${METHOD}, on log values`,
  };
}
