import { describe, expect, it } from 'vitest';
import { throttleEvents, type FrequencySample } from '../../harness/probes/throttling.ts';

const MAX = 4_700_000;
/** A 100 ms trace of two cores: core 0 busy at the given frequencies (kHz), core 1 idle at 800 MHz. */
function trace(busyCore: number[], options: { busy?: boolean } = {}): FrequencySample[] {
  return busyCore.map((curKHz, i) => ({
    atMs: i * 100,
    cores: [
      { cpu: 0, curKHz, maxKHz: MAX, ...(options.busy === false ? {} : { busy: 0.97 }) },
      { cpu: 1, curKHz: 800_000, maxKHz: MAX, ...(options.busy === false ? {} : { busy: 0.02 }) },
    ],
  }));
}

describe('throttle detection from a frequency trace', () => {
  it('finds a busy core held below 85% of its maximum for consecutive samples', () => {
    const events = throttleEvents(trace([4_600_000, 4_500_000, 3_100_000, 2_900_000, 3_000_000, 4_600_000, 4_650_000]));
    expect(events).toEqual([{ cpu: 0, startMs: 200, endMs: 400, lowestRatio: 2_900_000 / MAX }]);
  });

  it('ignores a single dip (a frequency transition caught mid-way) and idle cores clocked down', () => {
    expect(throttleEvents(trace([4_600_000, 3_000_000, 4_600_000, 4_600_000]))).toEqual([]);
    // Core 1 sits at 17% of its maximum the whole time, but it is idle.
    expect(throttleEvents(trace([4_600_000, 4_600_000, 4_600_000]))).toEqual([]);
  });

  it('reports each stretch separately, and with no busy shares lets the fastest core stand for the busy one', () => {
    expect(throttleEvents(trace([3_000_000, 3_000_000, 4_600_000, 3_500_000, 3_400_000]), {}).map((e) => [e.startMs, e.endMs])).toEqual([
      [0, 100],
      [300, 400],
    ]);
    const noShares = throttleEvents(trace([3_000_000, 3_000_000, 3_000_000], { busy: false }));
    expect(noShares).toEqual([{ cpu: 0, startMs: 0, endMs: 200, lowestRatio: 3_000_000 / MAX }]);
  });

  it('takes the threshold and the stretch length as options', () => {
    const dips = trace([4_600_000, 4_000_000, 4_000_000, 4_600_000]);
    expect(throttleEvents(dips)).toEqual([]);
    expect(throttleEvents(dips, { ratio: 0.9 })).toHaveLength(1);
    expect(throttleEvents(trace([4_600_000, 3_000_000, 4_600_000]), { minSamples: 1 })).toHaveLength(1);
  });
});
