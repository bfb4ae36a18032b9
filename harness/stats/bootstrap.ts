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
  const confidence = options.confidence ?? 0.95;
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const seed = options.seed ?? DEFAULT_BOOTSTRAP_SEED;
  if (values.length === 0) throw new RangeError('bootstrap interval of an empty sample');
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be strictly between 0 and 1, got ${confidence}`);
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`resamples must be a positive integer, got ${resamples}`);
  if (values.some((v) => !Number.isFinite(v))) throw new RangeError('bootstrap interval needs finite values');

  const random = mulberry32(seed);
  const n = values.length;
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return { lower: percentileOfSorted(means, tail), upper: percentileOfSorted(means, 1 - tail) };
}
