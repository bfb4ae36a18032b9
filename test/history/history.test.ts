import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToHistory, readHistory } from '../../harness/history/store.ts';
import { seriesOf, stepsIn } from '../../harness/history/trends.ts';
import type { Results } from '../../harness/core/results.ts';
import { latencies, results } from '../helpers/results.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-history-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Run k of a commit history: p50 around 2 ms, 8% higher from run 20 on (a real regression landing at commit c20). */
function run(k: number): Results {
  const median = k >= 20 ? 2.16 : 2;
  const r = results([{ variant: 'int8', samples: latencies(300, median, 100 + k), repeats: 3 }], { runId: `run-${String(k).padStart(2, '0')}` });
  return { ...r, startedAt: new Date(Date.UTC(2026, 10, 1, 0, k)).toISOString() };
}

describe('history: stored runs and the steps in their series', () => {
  it('stores each run once, keyed by commit, and finds the step where p50 went up 8%', async () => {
    const store = join(dir, 'steps.jsonl');
    for (let k = 0; k < 35; k++) await addToHistory(store, run(k), { commit: `c${k}${'0'.repeat(38)}`, branch: 'main' });
    await expect(addToHistory(store, run(3), { commit: 'again' })).rejects.toThrow(/run run-03 is already in/);
    const entries = await readHistory(store);
    expect(entries).toHaveLength(35);
    expect(entries[0]).toMatchObject({ runId: 'run-00', branch: 'main', device: 'host', variant: 'int8', metrics: { 'latency.p50': expect.any(Number) } });

    const series = seriesOf(entries, 'latency.p50');
    expect(series).toHaveLength(1);
    const steps = stepsIn(series);
    expect(steps).toHaveLength(1);
    expect(steps[0]!.at.runId).toBe('run-20');
    expect(steps[0]!.relativeChange).toBeCloseTo(0.08, 1);
    expect(steps[0]!.summary).toMatch(/^p50 latency on host \/ int8 stepped up [78]\.\d% at c20000000000 \(run run-20\)$/);
  });

  it("keeps series apart when the device's hardware changes, and ignores steps below the minimum", async () => {
    const store = join(dir, 'hardware.jsonl');
    for (let k = 0; k < 12; k++) {
      const r = run(k);
      // From run 6 on the "host" is another machine: its numbers start a series of their own.
      const moved = k >= 6 ? { ...r, devices: r.devices.map((d) => ({ ...d, facts: { ...d.facts!, cpuModel: 'another cpu' } })) } : r;
      await addToHistory(store, moved, {});
    }
    const series = seriesOf(await readHistory(store), 'latency.p50');
    expect(series.map((s) => s.points.length)).toEqual([6, 6]);
    expect(stepsIn(series, { minRelativeChange: 0.5 })).toEqual([]);
  });

  it('names a damaged line of the history file', async () => {
    const store = join(dir, 'damaged.jsonl');
    await addToHistory(store, run(1), {});
    await appendFile(store, '{"runId": 3}\nnot json\n');
    await expect(readHistory(store)).rejects.toThrow(/damaged\.jsonl: line 2: not a history entry/);
    await writeFile(store, 'not json\n');
    await expect(readHistory(store)).rejects.toThrow(/line 1: not a history entry \(not JSON\)/);
  });
});
