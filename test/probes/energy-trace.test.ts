import { describe, expect, it } from 'vitest';
import { counterDelta, integratePower, joulesIn, valueAt } from '../../harness/probes/energy-trace.ts';

describe('energy traces', () => {
  it('counts a counter increase, and one wrap-around when the reading falls below the previous one', () => {
    expect(counterDelta(1_000, 4_500, 262_143_328_850)).toBe(3_500);
    // 262 143 328 850 is a real package zone's max_energy_range_uj: 43 328 850 µJ to the wrap, then 1 000 000 after it.
    expect(counterDelta(262_100_000_000, 1_000_000, 262_143_328_850)).toBe(44_328_850);
  });

  it('does not take a small step back for a wrap-around: that would be a whole range of energy between two samples', () => {
    expect(counterDelta(5_000_000, 4_990_000, 262_143_328_850)).toBeUndefined();
    // Just under half the range after the wrap is still one.
    expect(counterDelta(200_000_000_000, 68_000_000_000, 262_143_328_850)).toBe(130_143_328_850);
  });

  it('integrates power with the trapezoid rule (exact for power that changes linearly)', () => {
    // 2 W rising to 4 W over 1 s, then 4 W for 0.5 s: 3 J + 2 J.
    expect(
      integratePower([
        [0, 2],
        [1000, 4],
        [1500, 4],
      ]),
    ).toEqual([
      [0, 0],
      [1000, 3],
      [1500, 5],
    ]);
  });

  it('reads energy between two instants by linear interpolation, clamped to the trace', () => {
    const trace: [number, number][] = [
      [0, 0],
      [100, 1],
      [200, 3],
    ];
    expect(valueAt(trace, 50)).toBeCloseTo(0.5);
    expect(valueAt(trace, 150)).toBeCloseTo(2);
    expect(valueAt(trace, -10)).toBe(0);
    expect(valueAt(trace, 500)).toBe(3);
    expect(joulesIn(trace, { start: 50, end: 150 })).toBeCloseTo(1.5);
    expect(joulesIn(trace, undefined)).toBe(3);
  });
});
