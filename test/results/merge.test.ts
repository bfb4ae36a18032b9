import { describe, expect, it } from 'vitest';
import { compareRuns } from '../../harness/compare/compare-runs.ts';
import { mergeResults } from '../../harness/results/merge.ts';
import type { Results } from '../../harness/core/results.ts';
import { latencies, results } from '../helpers/results.ts';

/** One run over five devices, and the same samples split into three shards by device, as run --shard makes them. */
function unshardedAndShards(): { whole: Results; shards: Results[] } {
  const devices = ['d1', 'd2', 'd3', 'd4', 'd5'];
  const specs = devices.flatMap((deviceId, d) =>
    ['fp32', 'int8'].map((variant, v) => ({ deviceId, variant, samples: latencies(300, 1 + d + v / 2, 10 * d + v), repeats: 3 })),
  );
  const base = results(specs, { runId: 'whole' });
  const whole = { ...base, devices: devices.map((id) => ({ ...base.devices[0]!, id })), finishedAt: '2026-11-30T00:10:00.000Z' };
  const parts = [['d1', 'd4'], ['d2', 'd5'], ['d3']];
  const shards = parts.map((ids, k) => ({
    ...whole,
    runId: `shard-${k + 1}`,
    startedAt: `2026-11-30T00:0${k}:00.000Z`,
    finishedAt: `2026-11-30T00:1${k}:00.000Z`,
    shard: { index: k + 1, total: 3, devices },
    devices: whole.devices.filter((d) => ids.includes(d.id)),
    cells: whole.cells.filter((c) => ids.includes(c.deviceId)),
  }));
  return { whole, shards };
}

describe('merge: shards back into one run', () => {
  it('gives the cells, samples and summaries of the unsharded run, in its order, and compares the same', () => {
    const { whole, shards } = unshardedAndShards();
    const merged = mergeResults([shards[2]!, shards[0]!, shards[1]!], 'merged');
    expect(merged.cells).toEqual(whole.cells);
    expect(merged.devices.map((d) => d.id)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
    expect(merged).toMatchObject({
      runId: 'merged',
      status: 'complete',
      startedAt: '2026-11-30T00:00:00.000Z',
      finishedAt: '2026-11-30T00:12:00.000Z',
      mergedFrom: ['shard-3', 'shard-1', 'shard-2'],
    });
    expect(merged.shard).toBeUndefined();
    const options = whole.suite.compare;
    const strip = (c: ReturnType<typeof compareRuns>) =>
      c.map(({ verdict, delta, metric, deviceId, variant }) => ({ verdict, delta, metric, deviceId, variant }));
    expect(strip(compareRuns(whole, merged, options))).toEqual(strip(compareRuns(whole, whole, options)));
  });

  it('refuses a missing shard, a shard given twice, and shards of different suites or model files', () => {
    const { shards } = unshardedAndShards();
    expect(() => mergeResults([shards[0]!, shards[1]!], 'm')).toThrow(/shard 3\/3 missing: merge needs every shard of the run/);
    expect(() => mergeResults([shards[0]!, shards[0]!, shards[1]!, shards[2]!], 'm')).toThrow(/shard 1\/3 is given more than once/);
    const otherSuite = { ...shards[1]!, suite: { ...shards[1]!.suite, iterations: 5 } };
    expect(() => mergeResults([shards[0]!, otherSuite, shards[2]!], 'm')).toThrow(/run shard-2 differs from run shard-1 in the suite/);
    const otherModel = { ...shards[2]!, cells: shards[2]!.cells.map((c) => ({ ...c, variant: { ...c.variant, sha256: 'different' } })) };
    expect(() => mergeResults([shards[0]!, shards[1]!, otherModel], 'm')).toThrow(/variant fp32 has other files in run shard-3 than in run/);
    const { shard: _s, ...notAShard } = shards[0]!;
    expect(() => mergeResults([notAShard], 'm')).toThrow(/is not a shard/);
  });
});
