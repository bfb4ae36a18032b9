import { percentileOfSorted } from './percentile.ts';
import { mulberry32 } from './random.ts';

export const DEFAULT_BOOTSTRAP_RESAMPLES = 2000;
export const DEFAULT_BOOTSTRAP_SEED = 1;

export interface BootstrapOptions {
  /** Two-sided coverage, strictly between 0 and 1; 0.95 unless given. */
  confidence?: number;
  resamples?: number;
  /** Seed of the resampling generator: the same seed gives the same interval. */
  seed?: number;
}

/**
 * Percentile bootstrap interval of the mean (Efron & Tibshirani 1993, ch. 13):
 * resample the values with replacement, take each resample's mean, and read the
 * (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of those means
 * (quantiles by Hyndman & Fan definition 7).
 */
export function bootstrapMeanInterval(values: readonly number[], options: BootstrapOptions = {}): { lower: number; upper: number } {
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('bootstrap interval needs finite values');
  const n = values.length;
  return bootstrapInterval(
    n,
    (indices) => {
      let sum = 0;
      for (const i of indices) sum += values[i]!;
      return sum / n;
    },
    options,
  );
}

/**
 * Percentile bootstrap interval of any statistic of `n` items (the same resampling as bootstrapMeanInterval):
 * `statistic` gets each resample as the indices of the items drawn, with replacement.
 */
export function bootstrapInterval(n: number, statistic: (indices: Int32Array) => number, options: BootstrapOptions = {}): { lower: number; upper: number } {
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  if (n === 0) throw new RangeError('bootstrap interval of an empty sample');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be strictly between 0 and 1, got ${confidence}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);

  const random = mulberry32(seed);
  const indices = new Int32Array(n);
  const values = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = Math.floor(random() * n);
    values[r] = statistic(indices);
  }
  values.sort();
  const tail = (1 - confidence) / 2;
  return { lower: percentileOfSorted(values, tail), upper: percentileOfSorted(values, 1 - tail) };
}
