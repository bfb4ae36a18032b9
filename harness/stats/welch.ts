/**
 * Welch's unequal-variances t-test (Welch 1947) with the Welch-Satterthwaite
 * degrees of freedom, and the t-based CI of the difference of means. Used on
 * log per-process values, where it compares geometric means: the unit of
 * replication is the runner process, so between-process noise is in the test.
 */
import { studentTCdf, studentTQuantile } from './student-t.ts';

export interface WelchResult {
  /** mean(b) - mean(a). */
  difference: number;
  lower: number;
  upper: number;
  t: number;
  df: number;
  /** Two-sided. */
  pValue: number;
}

export function welchTest(a: readonly number[], b: readonly number[], confidence = 0.95): WelchResult {
  if (a.length < 2 || b.length < 2) throw new RangeError(`Welch's test needs at least 2 values per side, got ${a.length} and ${b.length}`);
  const moments = (values: readonly number[]) => {
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
    return { mean, share: variance / values.length };
  };
  const x = moments(a);
  const y = moments(b);
  const difference = y.mean - x.mean;
  const standardError = Math.sqrt(x.share + y.share);
  if (standardError === 0) {
    // No spread at all on either side: the difference is exact.
    return {
      difference,
      lower: difference,
      upper: difference,
      t: difference === 0 ? 0 : Math.sign(difference) * Infinity,
      df: a.length + b.length - 2,
      pValue: difference === 0 ? 1 : 0,
    };
  }
  const df = (x.share + y.share) ** 2 / (x.share ** 2 / (a.length - 1) + y.share ** 2 / (b.length - 1));
  const t = difference / standardError;
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * standardError;
  return { difference, lower: difference - half, upper: difference + half, t, df, pValue: Math.min(1, 2 * studentTCdf(-Math.abs(t), df)) };
}
