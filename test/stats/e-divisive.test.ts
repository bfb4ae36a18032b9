import { describe, expect, it } from 'vitest';
import { bestSplit, eDivisive } from '../../harness/stats/e-divisive.ts';
import { mulberry32 } from '../../harness/stats/random.ts';

/** Q(tau) straight from Matteson & James's definition (alpha = 1), with no running sums: an independent check. */
function naiveQ(x: number[], t: number): number {
  const left = x.slice(0, t);
  const right = x.slice(t);
  const m = left.length;
  const k = right.length;
  let between = 0;
  for (const a of left) for (const b of right) between += Math.abs(a - b);
  let withinLeft = 0;
  for (let i = 0; i < m; i++) for (let j = i + 1; j < m; j++) withinLeft += Math.abs(left[i]! - left[j]!);
  let withinRight = 0;
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) withinRight += Math.abs(right[i]! - right[j]!);
  const energy = (2 / (m * k)) * between - withinLeft / ((m * (m - 1)) / 2) - withinRight / ((k * (k - 1)) / 2);
  return ((m * k) / (m + k)) * energy;
}

function noise(n: number, seed: number, sd: number): number[] {
  const random = mulberry32(seed);
  // Box-Muller: normal noise, reproducible.
  return Array.from({ length: n }, () => sd * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
}

describe('E-divisive means change points', () => {
  it('finds the split that maximises Q, as the definition computes it', () => {
    const x = noise(30, 7, 1).map((v, i) => v + (i >= 17 ? 1.5 : 0));
    let expected = { index: -1, q: -Infinity };
    for (let t = 3; t <= 27; t++) if (naiveQ(x, t) > expected.q) expected = { index: t, q: naiveQ(x, t) };
    const found = bestSplit(x, 3)!;
    expect(found.index).toBe(expected.index);
    expect(found.q).toBeCloseTo(expected.q, 9);
  });

  it('places a single 8% step where it is, with the means on each side', () => {
    const series = [...noise(25, 1, 0.01).map((v) => 1 + v), ...noise(25, 2, 0.01).map((v) => 1.08 + v)];
    const [change, ...rest] = eDivisive(series, { seed: 3 });
    expect(rest).toEqual([]);
    expect(change!.index).toBe(25);
    expect(change!.meanAfter / change!.meanBefore - 1).toBeCloseTo(0.08, 2);
    expect(change!.pValue).toBeLessThan(0.01);
  });

  it('finds two steps, up then down', () => {
    const series = [...noise(20, 4, 0.02).map((v) => 10 + v), ...noise(20, 5, 0.02).map((v) => 11 + v), ...noise(20, 6, 0.02).map((v) => 10.5 + v)];
    expect(eDivisive(series, { seed: 9 }).map((c) => c.index)).toEqual([20, 40]);
  });

  it('reports nothing in noise without a step, and is reproducible with its seed', () => {
    const series = noise(60, 11, 1).map((v) => 5 + v);
    expect(eDivisive(series, { seed: 2 })).toEqual([]);
    const stepped = [...noise(15, 12, 0.5), ...noise(15, 13, 0.5).map((v) => v + 3)];
    expect(eDivisive(stepped, { seed: 5 })).toEqual(eDivisive(stepped, { seed: 5 }));
  });

  it('needs room for a segment on each side', () => {
    expect(bestSplit([1, 2, 3, 4, 5], 3)).toBeUndefined();
    expect(eDivisive([1, 1, 1, 9, 9])).toEqual([]);
  });
});
