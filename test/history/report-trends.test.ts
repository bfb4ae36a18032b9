import { describe, expect, it } from 'vitest';
import { buildTrends } from '../../harness/history/report-trends.ts';
import type { Results } from '../../harness/core/results.ts';
import { commitOf, datedRun, historyOf } from '../helpers/history.ts';
import { latencies, results } from '../helpers/results.ts';

/** Run k of the history: p50 around 2 ms, 8% higher from run 7 on (the regression lands at commit c7). */
function run(k: number, options: { cpuModel?: string } = {}): Results {
  const r = results([{ variant: 'int8', samples: latencies(300, k >= 7 ? 2.16 : 2, 100 + k), repeats: 3 }], { runId: `run-${String(k).padStart(2, '0')}` });
  return options.cpuModel ? { ...r, devices: r.devices.map((d) => ({ ...d, facts: { ...d.facts!, cpuModel: options.cpuModel! } })) } : r;
}

const onMain = (k: number) => ({ commit: commitOf(k), branch: 'main' });

describe('the trends of a report, from the history', () => {
  it("finds the 8% step at run 7 of 12, at its commit, with the words history show uses; the report's unstored run is the last point", () => {
    // Runs 1-11 are stored, with a series on other hardware that the report's run does not continue.
    const entries = [...historyOf(11, (k) => run(k), onMain), ...historyOf(11, (k) => ({ ...run(k, { cpuModel: 'other' }), runId: `other-${k}` }), onMain)];
    const trends = buildTrends({ historyFile: 'h.jsonl', entries, runs: [datedRun(12, (k) => run(k))] });

    expect(trends.storedCells).toBe(22);
    const p50 = trends.series.filter((s) => s.metric === 'latency.p50');
    expect(p50).toHaveLength(1);
    const [series] = p50;
    expect(series).toMatchObject({ device: 'host', variant: 'int8', unit: 'ms', higherIsBetter: false, olderRunsLeftOut: 0 });
    expect(series!.points.map((p) => p.runId)).toEqual(Array.from({ length: 12 }, (_, i) => `run-${String(i + 1).padStart(2, '0')}`));
    expect(series!.points.slice(0, 11).every((p) => p.notInHistory === undefined && p.branch === 'main')).toBe(true);
    expect(series!.points[11]).toMatchObject({ runId: 'run-12', notInHistory: true });
    expect(series!.points[11]!.commit).toBeUndefined();

    expect(series!.changePoints).toHaveLength(1);
    const [step] = series!.changePoints;
    expect(step).toMatchObject({ index: 6, runId: 'run-07', commit: commitOf(7), branch: 'main', worse: true });
    expect(step!.relativeChange).toBeCloseTo(0.08, 1);
    expect(step!.pValue).toBeLessThanOrEqual(0.01);
    expect(step!.description).toMatch(/^p50 latency on host \/ int8 stepped up [78]\.\d% at c70000000000 \(run run-07\)$/);
    // Memory and disk did not move: series without a step.
    expect(trends.series.find((s) => s.metric === 'diskBytes')!.changePoints).toEqual([]);
  });

  it("does not add the report's run twice when it is stored, and keeps only the most recent runs", () => {
    const entries = historyOf(12, (k) => run(k), onMain);
    const stored = buildTrends({ historyFile: 'h.jsonl', entries, runs: [datedRun(12, (k) => run(k))] });
    const series = stored.series.find((s) => s.metric === 'latency.p50')!;
    expect(series.points).toHaveLength(12);
    expect(series.points.some((p) => p.notInHistory)).toBe(false);

    const capped = buildTrends({ historyFile: 'h.jsonl', entries, runs: [datedRun(12, (k) => run(k))], maxRunsPerSeries: 8 });
    const last = capped.series.find((s) => s.metric === 'latency.p50')!;
    expect(last.points.map((p) => p.runId)).toEqual(['run-05', 'run-06', 'run-07', 'run-08', 'run-09', 'run-10', 'run-11', 'run-12']);
    expect(last.olderRunsLeftOut).toBe(4);
    // Two runs before the step are fewer than E-divisive's minimum segment of three: no change point in what is kept.
    expect(last.changePoints).toEqual([]);
  });

  it('finds no change point in a series shorter than E-divisive needs', () => {
    const trends = buildTrends({ historyFile: 'h.jsonl', entries: historyOf(3, (k) => run(k + 5), onMain), runs: [datedRun(9, (k) => run(k))] });
    expect(trends.minPointsForChangePoints).toBe(6);
    expect(trends.series.every((s) => s.points.length === 4 && s.changePoints.length === 0)).toBe(true);
  });
});
