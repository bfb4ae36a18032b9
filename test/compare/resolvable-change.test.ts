import { describe, expect, it } from 'vitest';
import { resolvableChange } from '../../harness/compare/resolvable-change.ts';
import { decideRounds } from '../../harness/execute/sequential-stop.ts';
import { mulberry32 } from '../../harness/stats/random.ts';

const SETTINGS = { alpha: 0.01, comparisons: 3, threshold: 0.001 };

/** Per-round log ratios of no change: normal noise of the given spread, seeded. */
function rounds(n: number, sigma: number, seed: number): number[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

/** Whether the gate's stopping rule calls the rounds, shifted by a relative change, regressed. */
function regressed(logRatios: number[], change: number): boolean {
  const shifted = logRatios.map((r) => r + Math.log(1 + change));
  return decideRounds(new Map([['latency.p50', shifted]]), { ...SETTINGS, minRounds: 6, futility: 0.1 })?.stopped === 'regressed';
}

describe('the smallest change a gate tier resolved', () => {
  it('is what the same rounds tell apart: twice that change is called regressed, half of it is not', () => {
    for (const seed of [1, 2, 3]) {
      const noise = rounds(30, 0.015, seed);
      const resolves = resolvableChange(noise, SETTINGS);
      expect(resolves).toBeGreaterThan(0.002);
      expect(resolves).toBeLessThan(0.05);
      expect(regressed(noise, 2 * resolves)).toBe(true);
      expect(regressed(noise, resolves / 2)).toBe(false);
    }
  });

  it('shrinks with more rounds and grows with their spread, and is never below the threshold', () => {
    const fewer = resolvableChange(rounds(10, 0.015, 4), SETTINGS);
    const more = resolvableChange(rounds(60, 0.015, 4), SETTINGS);
    const noisier = resolvableChange(rounds(60, 0.05, 4), SETTINGS);
    expect(more).toBeLessThan(fewer);
    expect(noisier).toBeGreaterThan(more);
    expect(resolvableChange(rounds(60, 0.0001, 5), { ...SETTINGS, threshold: 0.03 })).toBe(0.03);
    expect(resolvableChange([0.01], SETTINGS)).toBe(Infinity);
  });
});
