/**
 * Two-sided sign-flip permutation test of a zero mean for paired differences
 * (Fisher's exact randomisation test): under the null every difference is as
 * likely negative as positive. Exact over all 2^n sign patterns for n <= 20,
 * otherwise a seeded Monte-Carlo sample of 100,000 patterns.
 */
import { mulberry32 } from './random.ts';

export function signFlipTest(differences: readonly number[]): { pValue: number; method: string } {
  const n = differences.length;
  if (n === 0) throw new RangeError('sign-flip test of an empty sample');
  const observed = Math.abs(differences.reduce((a, b) => a + b, 0));
  const atLeastAsExtreme = (signs: (i: number) => number) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += signs(i) * differences[i]!;
    // A tiny tolerance counts ties with the observed statistic despite rounding.
    return Math.abs(sum) >= observed - 1e-12 * Math.max(1, observed);
  };
  if (n <= 20) {
    let count = 0;
    for (let mask = 0; mask < 1 << n; mask++) if (atLeastAsExtreme((i) => (mask & (1 << i) ? -1 : 1))) count++;
    return { pValue: count / 2 ** n, method: `exact sign-flip permutation test over ${2 ** n} sign patterns` };
  }
  const random = mulberry32(1);
  const samples = 100_000;
  let count = 0;
  for (let s = 0; s < samples; s++) if (atLeastAsExtreme(() => (random() < 0.5 ? -1 : 1))) count++;
  return { pValue: (count + 1) / (samples + 1), method: `sign-flip permutation test, ${samples} seeded random sign patterns` };
}
