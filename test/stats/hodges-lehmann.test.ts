import { describe, expect, it } from 'vitest';
import { hodgesLehmannShift, relativeShift } from '../../harness/stats/hodges-lehmann.ts';
import { mulberry32 } from '../../harness/stats/random.ts';
import { normalQuantile } from '../../harness/stats/wilson.ts';

/** Every pairwise difference sorted: the definition, O(n1 n2 log(n1 n2)), as an independent reference. */
function bruteForceShift(a: number[], b: number[]): { shift: number; lower: number; upper: number } {
  const differences = new Float64Array(a.length * b.length);
  let filled = 0;
  for (const x of a) for (const y of b) differences[filled++] = y - x;
  differences.sort();
  const n = differences.length;
  const shift = n % 2 === 1 ? differences[(n - 1) / 2]! : (differences[n / 2 - 1]! + differences[n / 2]!) / 2;
  const k = Math.floor(n / 2 + 0.5 - normalQuantile(0.975) * Math.sqrt((n * (a.length + b.length + 1)) / 12));
  return { shift, lower: differences[k - 1]!, upper: differences[n - k]! };
}

function latencies(random: () => number, n: number, medianMs: number, resolutionMs = 0): number[] {
  return Array.from({ length: n }, () => {
    const value = medianMs * Math.exp(0.3 * (random() + random() - 1)) + (random() < 0.02 ? 50 * random() : 0);
    return resolutionMs > 0 ? Math.round(value / resolutionMs) * resolutionMs : value;
  });
}

describe('hodgesLehmannShift', () => {
  // Hollander & Wolfe (1973, p. 69) permeability data, as in R's wilcox.test examples. The 50
  // differences x - y were listed in Python: their median is 0.305, and the 9th and 42nd are
  // -0.15 and 0.76, the interval R's exact method gives (qwilcox(0.025, 10, 5) = 9, enumerated
  // over all C(15, 5) rankings); the normal approximation gives the same rank here.
  it('reproduces the Hollander & Wolfe permeability example', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const result = hodgesLehmannShift(y, x);
    expect(result.shift).toBeCloseTo(0.305, 12);
    expect(result.lower).toBeCloseTo(-0.15, 12);
    expect(result.upper).toBeCloseTo(0.76, 12);
  });

  it('measures candidate minus baseline', () => {
    const baseline = Array.from({ length: 20 }, (_, i) => 10 + i);
    const candidate = baseline.map((v) => v + 2);
    expect(hodgesLehmannShift(baseline, candidate).shift).toBe(2);
    expect(hodgesLehmannShift(candidate, baseline).shift).toBe(-2);
  });

  it('equals the definition computed from every pairwise difference', () => {
    const random = mulberry32(23);
    const cases: [number[], number[]][] = [
      [latencies(random, 7, 10), latencies(random, 9, 11)],
      [latencies(random, 200, 10), latencies(random, 301, 10.4)],
      // Timer-quantised values: most differences are tied.
      [latencies(random, 400, 10, 0.5), latencies(random, 350, 10.3, 0.5)],
      [latencies(random, 1500, 10, 0.001), latencies(random, 1200, 10.3, 0.001)],
      [
        [4, 4, 4, 4, 4, 4, 4, 4],
        [4, 4, 4, 4, 5, 5, 5, 5, 5],
      ],
    ];
    for (const [a, b] of cases) {
      const { shift, lower, upper } = hodgesLehmannShift(a, b);
      expect({ shift, lower, upper }).toEqual(bruteForceShift(a, b));
    }
  });

  it('brackets the shift on 5000 x 5000 samples', () => {
    const random = mulberry32(5);
    const a = latencies(random, 5000, 10);
    const b = latencies(random, 5000, 10.5);
    const result = hodgesLehmannShift(a, b);
    expect(result.lower).toBeLessThan(result.shift);
    expect(result.shift).toBeLessThan(result.upper);
  });

  it('gives infinite bounds when the samples are too small for the confidence', () => {
    // 3 x 3: k = floor(4.5 + 0.5 - 1.96 * sqrt(9 * 7 / 12)) = 0, so no pair of differences has 95% coverage.
    expect(hodgesLehmannShift([1, 2, 3], [2, 3, 4])).toMatchObject({ shift: 1, lower: -Infinity, upper: Infinity });
    expect(hodgesLehmannShift([1, 2, 3], [2, 3, 4], 0.5).lower).toBeGreaterThan(-Infinity);
  });

  it('rejects empty and non-finite samples and bad confidence', () => {
    expect(() => hodgesLehmannShift([], [1])).toThrow(/sample a is empty/);
    expect(() => hodgesLehmannShift([1], [])).toThrow(/sample b is empty/);
    expect(() => hodgesLehmannShift([1], [Number.NaN])).toThrow(/finite/);
    expect(() => hodgesLehmannShift([1], [2], 0)).toThrow(/confidence/);
  });
});

describe('relativeShift', () => {
  it('recovers a multiplicative change', () => {
    const baseline = Array.from({ length: 30 }, (_, i) => 10 + i * 0.37);
    const result = relativeShift(
      baseline,
      baseline.map((v) => v * 1.1),
    );
    expect(result.shift).toBeCloseTo(0.1, 12);
    expect(result.lower).toBeLessThan(0.1);
    expect(result.upper).toBeGreaterThan(0.1);
  });

  // Reference: the same definition on log values, all differences sorted in Python, then exp(x) - 1.
  it('matches an independently computed example', () => {
    const baseline = [12.1, 13.4, 11.8, 12.9, 14.2, 12.5, 13.1, 12.2];
    const candidate = [13.0, 14.1, 13.3, 14.9, 13.8, 15.2, 13.6, 14.4, 13.9];
    const result = relativeShift(baseline, candidate);
    expect(result.shift).toBeCloseTo(0.10046509181106421, 12);
    expect(result.lower).toBeCloseTo(0.03731343283582088, 12);
    expect(result.upper).toBeCloseTo(0.165289256198347, 12);
  });

  it('rejects values that are not positive', () => {
    expect(() => relativeShift([1, 0], [1])).toThrow(/sample a value 1 is 0/);
    expect(() => relativeShift([1], [-2])).toThrow(RangeError);
    expect(() => relativeShift([1], [])).toThrow(/empty/);
  });
});
