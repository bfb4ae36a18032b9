import { describe, expect, it } from 'vitest';
import { summarize } from '../../harness/stats/summary.ts';

describe('summarize', () => {
  it('summarises 200,000 samples holding one near the largest double, finitely and without overflowing the stack', () => {
    // One value past 1.4e154 makes the squared deviations infinite, which sends the summary to its scaled fallback.
    const values = Array.from({ length: 200_000 }, (_, i) => 10 + (i % 7));
    values[123] = 1e200;
    const summary = summarize(values);
    expect(Number.isFinite(summary.mean)).toBe(true);
    expect(Number.isFinite(summary.stddev)).toBe(true);
    expect(summary.mean).toBeCloseTo(1e200 / 200_000, -190);
    expect(summary.max).toBe(1e200);
  });
});
