import { describe, expect, it } from 'vitest';
import { etaMs, formatDuration } from '../../harness/schedule/eta.ts';
import { ProgressTracker } from '../../harness/schedule/progress.ts';

const claims: Record<string, string[]> = {
  host: ['device:host', 'host'],
  'low-end': ['device:low-end', 'host'],
  board: ['device:board'],
  'farm-a': ['device:farm-a', 'endpoint:farm'],
  'farm-b': ['device:farm-b', 'endpoint:farm'],
};
const capacity = (resource: string) => (resource === 'endpoint:farm' ? 2 : 1);
const resourcesOf = (id: string) => claims[id]!;

describe('etaMs', () => {
  it('adds up the work of devices that take turns, and takes the busiest resource', () => {
    // host and low-end share the host: 3 x 100 + 2 x 400 = 1100 ms; the board alone: 5 x 100 = 500 ms.
    expect(
      etaMs(
        [
          { deviceId: 'host', remaining: 3, meanMs: 100 },
          { deviceId: 'low-end', remaining: 2, meanMs: 400 },
          { deviceId: 'board', remaining: 5, meanMs: 100 },
        ],
        resourcesOf,
        capacity,
      ),
    ).toBe(1100);
  });

  it("divides an endpoint's work by its room, but never below one device's own work", () => {
    expect(
      etaMs(
        [
          { deviceId: 'farm-a', remaining: 4, meanMs: 100 },
          { deviceId: 'farm-b', remaining: 4, meanMs: 100 },
        ],
        resourcesOf,
        capacity,
      ),
    ).toBe(400);
    expect(
      etaMs(
        [
          { deviceId: 'farm-a', remaining: 8, meanMs: 100 },
          { deviceId: 'farm-b', remaining: 0, meanMs: 100 },
        ],
        resourcesOf,
        capacity,
      ),
    ).toBe(800);
  });

  it('assumes a device not yet timed is as slow as the mean of those that are, and gives no estimate before any', () => {
    expect(
      etaMs(
        [
          { deviceId: 'host', remaining: 1, meanMs: 300 },
          { deviceId: 'board', remaining: 4 },
        ],
        resourcesOf,
        capacity,
      ),
    ).toBe(1200);
    expect(etaMs([{ deviceId: 'host', remaining: 2 }], resourcesOf, capacity)).toBeUndefined();
  });

  it('formats durations for people', () => {
    expect([formatDuration(4_400), formatDuration(185_000), formatDuration(4_320_000)]).toEqual(['4 s', '3 min 05 s', '1 h 12 min']);
  });
});

describe('ProgressTracker', () => {
  it('counts per device, times processes on its clock, and leaves skipped processes out of the total', () => {
    let now = 0;
    const tracker = new ProgressTracker(
      { processes: ['host', 'board', 'host', 'board', 'host'], scheduling: { policy: 'exclusive', note: '', shared: [] }, resourcesOf, capacity },
      () => now,
    );
    tracker.started('host', 'fp32');
    tracker.started('board', 'fp32');
    now = 200;
    tracker.finishedOne('host');
    now = 500;
    tracker.finishedOne('board');
    expect([tracker.done, tracker.total, tracker.doneOf('host'), tracker.plannedOf('host')]).toEqual([2, 5, 1, 3]);
    // host: 2 left x 200 ms; board: 1 left x 500 ms.
    expect(tracker.etaMs()).toBe(500);
    tracker.dropped('host', 1);
    expect([tracker.total, tracker.etaMs()]).toEqual([4, 500]);
    expect(tracker.runningOn('host')).toBeUndefined();
  });
});
