import { appendFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from '../../harness/compare/metrics.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { resumedRuns } from '../../harness/execute/resume.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { PAIRED_ROUND_LOST } from '../../harness/runner/paired-round.ts';
import { JOURNAL_FILE, readJournal } from '../../harness/results/journal.ts';
import { smallProject, suiteYaml, writeSmallModel, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await smallProject();
  await writeSmallModel(project, 'models/small/other.onnx', { shape: { seed: 7 } });
  await project.write(
    'suites/pair.yaml',
    suiteYaml({
      iterations: 10,
      variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/other.onnx}',
    }),
  );
});
afterAll(() => project.cleanup());

const plan = (suite = 'suites/pair.yaml') => buildPlan({ suiteFile: project.path(suite), devicesFile: project.path('devices.yaml') });

/** Three paired rounds of a and b; `afterFirstOfB` runs once, when b's first process has finished. */
async function pairedRun(runId: string, suite: string, afterFirstOfB: () => void) {
  let done = false;
  const { results } = await executePlan(await plan(suite), {
    outDir: project.path('reports'),
    runId,
    ab: { a: 'a', b: 'b', rounds: 3 },
    paired: true,
    progress: {
      cellFinished: (cell) => {
        if (cell.variant.name !== 'b' || done) return;
        done = true;
        afterFirstOfB();
      },
    },
  });
  return { a: results.cells.find((c) => c.variant.name === 'a')!, b: results.cells.find((c) => c.variant.name === 'b')! };
}

describe('run --ab --paired: rounds after the first in one runner process', () => {
  it('measures the first round alone and the others paired; memory and load time come from the first, latency from all', async () => {
    const { results, resultsFile } = await executePlan(await plan(), {
      outDir: project.path('reports'),
      runId: 'paired',
      ab: { a: 'a', b: 'b', rounds: 3 },
      paired: true,
    });
    expect(results.ab).toMatchObject({ a: 'a', b: 'b', rounds: 3, pairedOn: ['host'] });
    for (const [name, other] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const cell = results.cells.find((c) => c.variant.name === name)!;
      expect(cell.status).toBe('ok');
      expect(cell.samples).toHaveLength(30);
      const [first, ...rest] = cell.repeats!;
      expect(first).toMatchObject({ repeat: 1, loadMs: expect.any(Number), peakRssBytes: expect.any(Number), probes: expect.anything() });
      expect(first!.pairedWith).toBeUndefined();
      for (const repeat of rest) {
        expect(repeat).toMatchObject({ status: 'ok', pairedWith: other });
        expect(repeat.loadMs ?? repeat.peakRssBytes ?? repeat.modelRssBytes ?? repeat.probes).toBeUndefined();
      }
      expect(cell.metrics.peakRssBytes).toMatchObject({
        source: 'measured',
        value: first!.peakRssBytes,
        method: expect.stringContaining(`from the 1 runner process that ran alone (2 more ran paired with ${other} in one process`),
      });
      expect(cell.metrics.loadMs).toMatchObject({ source: 'measured', value: first!.loadMs });
      // Compare pairs the rounds timed alike: the paired ones, not the first.
      expect([...METRICS['latency.p50'].read(cell)!.perRepeat!.keys()]).toEqual([2, 3]);
      // The cell's latency still pools every round's samples.
      expect(cell.metrics.latencyMs).toMatchObject({ source: 'measured', method: expect.stringContaining('pooled over 3 runner processes') });
    }
    // The journal holds each variant's part of a paired process as its own: a resume rebuilds the same rounds.
    const journal = await readJournal(join(resultsFile, '..', JOURNAL_FILE));
    const resumed = resumedRuns(await plan(), journal.completed, 60_000);
    expect(resumed.done.size).toBe(6);
    const runsOfB = resumed.kept.find((k) => k.variant.variant.name === 'b')!.runs;
    expect(runsOfB.map((r) => r.outcome.pairedWith)).toEqual([undefined, 'a', 'a']);
    expect(runsOfB[1]!.outcome.events.some((e) => e.type === 'memory')).toBe(false);
  }, 120_000);

  it('a variant that cannot pair (its model changed after the first round) runs alone, and the other runs on alone', async () => {
    const { a, b } = await pairedRun('changed', 'suites/pair.yaml', () => appendFileSync(project.path('models/small/other.onnx'), Buffer.from([0])));
    expect(b).toMatchObject({ status: 'failed', error: { code: 'MODEL_CHANGED' } });
    expect(a.status).toBe('ok');
    expect(a.repeats!.map((r) => r.pairedWith)).toEqual([undefined, undefined, undefined]);
    expect(a.samples).toHaveLength(30);
  }, 120_000);

  it('a partner that fails inside the paired process fails its own cell; the host is run again alone, the lost attempt recorded', async () => {
    // A file whose change its identity (size, mtime) does not show: the check before the process passes, and the load in it fails.
    const fragile = await writeSmallModel(project, 'models/small/fragile.onnx', { shape: { seed: 9 } });
    utimesSync(fragile, 1e9, 1e9);
    await project.write(
      'suites/fragile.yaml',
      suiteYaml({
        iterations: 10,
        variants: '  - {name: a, precision: fp32, file: ../models/small/model.onnx}\n  - {name: b, precision: fp32, file: ../models/small/fragile.onnx}',
      }),
    );
    const { a, b } = await pairedRun('fragile', 'suites/fragile.yaml', () => {
      writeFileSync(fragile, Buffer.alloc(statSync(fragile).size, 0x41));
      utimesSync(fragile, 1e9, 1e9);
    });
    expect(b).toMatchObject({ status: 'failed', error: { code: 'MODEL_LOAD_FAILED' } });
    expect(b.repeats!.at(-1)).toMatchObject({ repeat: 2, pairedWith: 'a', status: 'failed' });
    expect(a.status).toBe('ok');
    expect(a.samples).toHaveLength(30);
    const [, second, third] = a.repeats!;
    expect(second).toMatchObject({
      repeat: 2,
      status: 'ok',
      loadMs: expect.any(Number),
      lostAttempts: [{ code: PAIRED_ROUND_LOST, message: expect.stringContaining('b failed in it (MODEL_LOAD_FAILED') }],
    });
    expect(second!.pairedWith ?? third!.pairedWith).toBeUndefined();
  }, 120_000);
});
