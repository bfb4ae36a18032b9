import { normalUpperTail } from './mann-whitney.ts';

/** Below this many discordant pairs the exact binomial test is used; the chi-square approximation at or above it. */
export const MCNEMAR_EXACT_BELOW = 25;

export interface PairedOutcome {
  baseline: boolean;
  candidate: boolean;
}

/** Exact two-sided binomial test of k successes in n trials against 1/2: twice the smaller tail, capped at 1. */
function exactSignTest(k: number, n: number): number {
  let tail = 0;
  let coefficient = 1; // C(n, i), exact in a double for n < 25
  for (let i = 0; i <= Math.min(k, n - k); i++) {
    tail += coefficient;
    coefficient = (coefficient * (n - i)) / (i + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

/**
 * McNemar's test for paired correctness (McNemar 1947): did the candidate get a different share of
 * items right than the baseline on the same items? Only discordant pairs carry information:
 * b = baseline right and candidate wrong, c = the reverse. Two-sided; with b + c < 25 the exact
 * binomial test of b against Binomial(b + c, 1/2), otherwise chi-square with 1 degree of freedom and
 * Edwards' continuity correction, (|b - c| - 1)^2 / (b + c), floored at 0 so that b = c gives p = 1.
 */
export function mcnemarTest(pairs: readonly PairedOutcome[]): { b: number; c: number; pValue: number; method: string } {
  if (pairs.length === 0) throw new RangeError('McNemar test: no paired outcomes');
  let b = 0;
  let c = 0;
  pairs.forEach((pair, index) => {
    if (typeof pair?.baseline !== 'boolean' || typeof pair.candidate !== 'boolean') {
      throw new RangeError(`McNemar test: pair ${index} needs boolean baseline and candidate`);
    }
    if (pair.baseline && !pair.candidate) b++;
    else if (!pair.baseline && pair.candidate) c++;
  });
  const discordant = b + c;
  if (discordant === 0) return { b, c, pValue: 1, method: 'McNemar, no discordant pairs' };
  if (discordant < MCNEMAR_EXACT_BELOW) return { b, c, pValue: exactSignTest(b, discordant), method: 'McNemar, exact binomial' };
  const chiSquare = Math.max(0, Math.abs(b - c) - 1) ** 2 / discordant;
  // A chi-square variable with 1 degree of freedom is the square of a standard normal one.
  return { b, c, pValue: Math.min(1, 2 * normalUpperTail(Math.sqrt(chiSquare))), method: 'McNemar, chi-square with continuity correction' };
}
