import { describe, expect, it } from 'vitest';
import { median, percentileOfSorted } from '../../harness/stats/percentile.ts';
import { summarize } from '../../harness/stats/summary.ts';

describe('percentileOfSorted (Hyndman-Fan definition 7)', () => {
  // Reference values: numpy.percentile(x, q) with its default (linear) method.
  it('interpolates between closest ranks like numpy', () => {
    expect(percentileOfSorted([15, 20, 35, 40, 50], 0.4)).toBeCloseTo(29, 12);
    expect(percentileOfSorted([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    expect(percentileOfSorted([1, 2, 3, 4], 0.5)).toBeCloseTo(2.5, 12);
    expect(percentileOfSorted([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99)).toBeCloseTo(9.91, 12);
  });

  it('returns the extremes at 0 and 1 and the value itself for one sample', () => {
    expect(percentileOfSorted([3, 9], 0)).toBe(3);
    expect(percentileOfSorted([3, 9], 1)).toBe(9);
    expect(percentileOfSorted([7], 0.9)).toBe(7);
  });

  it('rejects an empty sample and ranks outside [0, 1]', () => {
    expect(() => percentileOfSorted([], 0.5)).toThrow(/empty/);
    expect(() => percentileOfSorted([1], 1.5)).toThrow(/\[0, 1\]/);
  });
});

describe('summarize', () => {
  it('computes location and spread from unsorted samples', () => {
    const s = summarize([4, 1, 3, 2]);
    expect(s).toMatchObject({ n: 4, min: 1, max: 4, mean: 2.5, p50: 2.5 });
    // Sample standard deviation of 1..4 is sqrt(5/3).
    expect(s.stddev).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.p90).toBeCloseTo(3.7, 12);
  });

  it('is stable for tiny differences on a large mean', () => {
    const s = summarize([1e9 + 1, 1e9 + 2, 1e9 + 3]);
    expect(s.stddev).toBeCloseTo(1, 6);
  });
});

describe('median', () => {
  // numpy.median: the mean of the two middle values of an even-sized sample (not the upper one), input order ignored.
  it('is the middle value, or the mean of the two middle values', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 20])).toBe(15);
  });

  it('leaves its input in place', () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
  });
});
