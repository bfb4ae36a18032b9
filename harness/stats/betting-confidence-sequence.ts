/**
 * An anytime-valid test and confidence sequence for the shift of paired round
 * differences (the per-round log ratios B/A of an interleaved A/B run), by
 * betting: Waudby-Smith & Ramdas, "Estimating means of bounded random variables
 * by betting", JRSS-B 86(1), 2024 (the hedged capital process, section 4), with
 * aGRAPA bets (section B.3 there); time-uniform by Ville's inequality, as in
 * Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform, nonparametric,
 * nonasymptotic confidence sequences", Annals of Statistics 49(2), 2021.
 *
 * Why it is valid here: under "B is A shifted by theta" with symmetric noise
 * (A and B are exchangeable within a round under no change, and AB / BA
 * alternate), each d_i - theta is symmetric about zero given the past. Any odd
 * function of it then has mean zero, in particular x_i = clip((d_i - theta) /
 * s_{i-1}, -1, 1), where the scale s_{i-1} comes from earlier rounds only
 * (predictable). So the capital prod(1 + lambda_i x_i) with predictable bets
 * |lambda_i| < 1 is a non-negative martingale, and P(it ever reaches 1/alpha)
 * <= alpha, whenever one stops. Clipping at a few robust standard deviations is
 * what keeps a round ruined by background load from deciding anything: it
 * counts as one strong vote, like a rank.
 */
import { percentileOfSorted, sortAscending } from './percentile.ts';

export interface SequenceOptions {
  /** Rounds that only set the scale before any bet (predictability needs a past). */
  burnIn: number;
  /** Differences are clipped at this many robust standard deviations of earlier rounds. */
  clipSds: number;
  /** Largest bet, as a share of the capital: below 1 so one round can never ruin it. */
  maxBet: number;
}

export const SEQUENCE_DEFAULTS: SequenceOptions = { burnIn: 3, clipSds: 2.5, maxBet: 0.8 };

/** Smallest scale, in log-ratio units (0.1%): below it, rounds that happen to agree exactly would divide by zero. */
const MIN_SCALE = 0.001;

/** The scale each round is divided by, from the rounds before it only (undefined during the burn-in). */
export function predictableScales(differences: readonly number[], options: SequenceOptions = SEQUENCE_DEFAULTS): (number | undefined)[] {
  return differences.map((_, i) => {
    if (i < Math.max(options.burnIn, 2)) return undefined;
    const past = sortAscending(differences.slice(0, i));
    const center = percentileOfSorted(past, 0.5);
    const mad = percentileOfSorted(sortAscending(Array.from(past, (d) => Math.abs(d - center))), 0.5);
    // 1.4826 x MAD estimates the standard deviation of normal noise (Hampel 1974).
    return Math.max(MIN_SCALE, options.clipSds * 1.4826 * mad);
  });
}

/**
 * The hedged capital after each round for "the shift is theta": the mean of
 * a bettor on "above theta" and one on "below theta", each starting with 1.
 */
export function hedgedCapital(
  differences: readonly number[],
  theta: number,
  scales: readonly (number | undefined)[],
  options: SequenceOptions = SEQUENCE_DEFAULTS,
): number[] {
  let up = 1;
  let down = 1;
  // Running sums of earlier x for the aGRAPA bet, with a prior of variance 1/4 worth one round (shrinks early bets).
  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  const out: number[] = [];
  for (let i = 0; i < differences.length; i++) {
    const scale = scales[i];
    if (scale !== undefined) {
      const x = Math.max(-1, Math.min(1, (differences[i]! - theta) / scale));
      const mean = sum / (count + 1);
      const variance = (0.25 + sumSquares - count * mean * mean) / (count + 1);
      const bet = mean / (variance + mean * mean);
      up *= 1 + Math.min(options.maxBet, Math.max(0, bet)) * x;
      down *= 1 - Math.min(options.maxBet, Math.max(0, -bet)) * x;
      sum += x;
      sumSquares += x * x;
      count++;
    }
    out.push((up + down) / 2);
  }
  return out;
}

export interface SequentialEstimate {
  /** Rounds used. */
  n: number;
  /** Hodges-Lehmann-free point estimate: the median difference. */
  estimate: number;
  /** Anytime-valid p-value of "no shift": 1 / the largest capital reached, at most 1. */
  pValue: number;
  /** The confidence sequence at each level asked for, at the last round: every shift the bettors have not ruled out. */
  intervals: Map<number, { lower: number; upper: number }>;
}

/**
 * The anytime-valid p-value of "no shift" and the confidence sequences (at the
 * given confidence levels) of the shift after the last round. A shift is
 * outside the sequence once the capital against it reached 1/alpha at the
 * last round; the set is found on a grid, then its ends by bisection.
 */
export function sequentialEstimate(
  differences: readonly number[],
  levels: readonly number[],
  options: SequenceOptions = SEQUENCE_DEFAULTS,
): SequentialEstimate {
  const n = differences.length;
  if (n === 0) throw new RangeError('a sequential estimate needs at least one round');
  if (differences.some((d) => !Number.isFinite(d))) throw new RangeError('a sequential estimate needs finite differences');
  const sorted = sortAscending(differences);
  const estimate = percentileOfSorted(sorted, 0.5);
  const scales = predictableScales(differences, options);
  const atZero = hedgedCapital(differences, 0, scales, options);
  const pValue = Math.min(1, 1 / Math.max(...atZero));
  const capitalAt = (theta: number) => hedgedCapital(differences, theta, scales, options).at(-1)!;
  const intervals = new Map<number, { lower: number; upper: number }>();
  // Beyond every difference by the largest scale, each x is +-1: the set lies inside this span whenever it can exclude anything.
  const widest = Math.max(MIN_SCALE, ...scales.map((s) => s ?? 0));
  const low = sorted[0]! - widest;
  const high = sorted.at(-1)! + widest;
  const steps = 200;
  const grid = Array.from({ length: steps + 1 }, (_, k) => low + ((high - low) * k) / steps);
  const capitals = grid.map(capitalAt);
  for (const level of levels) {
    const bar = 1 / (1 - level);
    const inside = grid.flatMap((theta, k) => (capitals[k]! < bar ? [k] : []));
    if (inside.length === 0) {
      intervals.set(level, { lower: estimate, upper: estimate });
      continue;
    }
    const first = inside[0]!;
    const last = inside.at(-1)!;
    const lower = first === 0 ? Number.NEGATIVE_INFINITY : edge(grid[first - 1]!, grid[first]!, bar, capitalAt);
    const upper = last === steps ? Number.POSITIVE_INFINITY : edge(grid[last + 1]!, grid[last]!, bar, capitalAt);
    intervals.set(level, { lower, upper });
  }
  return { n, estimate, pValue, intervals };
}

/** Bisection between a shift ruled out and one not ruled out: the boundary, to 1e-5 in log-ratio units. */
function edge(out: number, inside: number, bar: number, capitalAt: (theta: number) => number): number {
  let a = out;
  let b = inside;
  while (Math.abs(b - a) > 1e-5) {
    const mid = (a + b) / 2;
    if (capitalAt(mid) >= bar) a = mid;
    else b = mid;
  }
  return b;
}
