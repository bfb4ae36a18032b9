import { studentTQuantile } from './student-t.ts';

/**
 * The Student t confidence interval of the mean of a few independent values (e.g. one p50 per runner process):
 * mean ± t(1 - (1 - confidence) / 2, n - 1) · s / √n. With the process as the unit of replication this is the
 * interval compare's between-process test sees, so a cell whose interval is narrower than the compare threshold
 * has enough processes for that threshold. Undefined with fewer than 2 values.
 */
export function meanCi(values: readonly number[], confidence = 0.95): { mean: number; halfWidth: number; relativeHalfWidth: number } | undefined {
  const n = values.length;
  if (n < 2) return undefined;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  const halfWidth = studentTQuantile(1 - (1 - confidence) / 2, n - 1) * Math.sqrt(variance / n);
  return { mean, halfWidth, relativeHalfWidth: mean > 0 ? halfWidth / mean : Number.POSITIVE_INFINITY };
}
