/**
 * Adjusted p-values for many comparisons in one report (one per metric, device and variant), so
 * that a gate at level alpha keeps its error rate across all of them. Both return values in the
 * input order; comparing an adjusted p-value with alpha is the same as running the procedure at alpha.
 */

function validate(pValues: readonly number[], procedure: string): void {
  if (pValues.length === 0) throw new RangeError(`${procedure}: no p-values to adjust`);
  const index = pValues.findIndex((p) => !(p >= 0 && p <= 1));
  if (index >= 0) throw new RangeError(`${procedure}: p-value ${index} is ${pValues[index]}, not in [0, 1]`);
}

/** Indices of the p-values from smallest to largest; ties keep input order. */
function ascendingOrder(pValues: readonly number[]): number[] {
  return pValues.map((_, index) => index).sort((i, j) => pValues[i]! - pValues[j]! || i - j);
}

/**
 * Holm 1979 step-down: the i-th smallest p (1-based) times m - i + 1, made non-decreasing and capped
 * at 1. Controls the family-wise error rate under any dependence; uniformly more powerful than Bonferroni.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  validate(pValues, 'Holm adjustment');
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 0;
  ascendingOrder(pValues).forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]!));
    adjusted[index] = running;
  });
  return adjusted;
}

/**
 * Benjamini & Hochberg 1995 step-up: the i-th smallest p (1-based) times m / i, made non-increasing
 * from the largest down and capped at 1. Controls the false discovery rate for independent or
 * positively dependent tests.
 */
export function benjaminiHochbergAdjust(pValues: readonly number[]): number[] {
  validate(pValues, 'Benjamini-Hochberg adjustment');
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank]!;
    running = Math.min(running, (m / (rank + 1)) * pValues[index]!);
    adjusted[index] = running;
  }
  return adjusted;
}
