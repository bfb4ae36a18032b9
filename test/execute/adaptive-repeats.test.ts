import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Results } from '../../harness/core/results.ts';
import { executePlan } from '../../harness/execute/execute-plan.ts';
import { describeRepeatStops, processP50s, repeatStop } from '../../harness/execute/repeat-stop.ts';
import { buildPlan } from '../../harness/plan/plan.ts';
import { meanCi } from '../../harness/stats/mean-ci.ts';
import { smallProject, suiteYaml, type TempProject } from '../helpers/project.ts';
import { cell } from '../helpers/results.ts';

let project: TempProject;

const TWO_VARIANTS =
  '  - name: a\n    precision: fp32\n    file: ../models/small/model.onnx\n  - name: b\n    precision: fp32\n    file: ../models/small/model.onnx';

beforeAll(async () => {
  project = await smallProject();
});
afterAll(() => project?.cleanup());

async function run(name: string, extra: string, repeats: number, ab?: { a: string; b: string; rounds: number }, devices = 'devices.yaml'): Promise<Results> {
  await project.write(`suites/${name}.yaml`, suiteYaml({ iterations: 40, repeats, variants: TWO_VARIANTS, extra }));
  const plan = await buildPlan({ suiteFile: project.path(`suites/${name}.yaml`), devicesFile: project.path(devices) });
  return (await executePlan(plan, { outDir: project.path('reports'), runId: name, ...(ab ? { ab } : {}) })).results;
}

describe('adaptive repeats on real runner processes', () => {
  it('stops a cell at the minimum once its p50 is within the target, and says so', async () => {
    // ±100%: five real processes of one model agree that closely, even on a loaded machine (the interval's
    // half-width is 1.24 standard deviations of their p50s at five; at three it is 2.48, which load has exceeded).
    const results = await run('loose', 'adaptiveRepeats:\n  minRepeats: 5\n  precision: 1', 8);
    expect(results.suite.adaptiveRepeats).toEqual({ enabled: true, minRepeats: 5, precision: 1 });
    for (const c of results.cells) {
      expect(c.repeats).toHaveLength(5);
      expect(c.repeatStop).toMatchObject({ processes: 5, reason: 'precise', targetPrecision: 1, minRepeats: 5, maxRepeats: 8 });
      expect(c.repeatStop!.p50Ci95RelativeHalfWidth).toBeLessThanOrEqual(1);
    }
    expect(describeRepeatStops(results.cells)).toBe('runner processes: 10 of at most 16; of 2 cell(s), 2 reached ±100.0% on p50 early');
  });

  it('runs every repeat when the target is out of reach, and never more', async () => {
    const results = await run('tight', 'adaptiveRepeats:\n  precision: 0.000001', 4);
    for (const c of results.cells) {
      expect(c.repeats).toHaveLength(4);
      expect(c.repeatStop).toMatchObject({ processes: 4, reason: 'repeats', targetPrecision: 0.000001 });
      expect(c.repeatStop!.p50Ci95RelativeHalfWidth).toBeGreaterThan(0.000001);
    }
  });

  it("stops a cell on an emulated device (qemu) after one process, and says why, while the host's cells run every repeat", async () => {
    await project.write('devices-qemu.yaml', 'devices:\n  - id: host\n    kind: local\n  - id: arm64-emu\n    kind: qemu-arm64\n    cpuModel: cortex-a76\n');
    const results = await run('emulated', 'adaptiveRepeats:\n  precision: 0.000001', 3, undefined, 'devices-qemu.yaml');
    const on = (device: string) => results.cells.filter((c) => c.deviceId === device);
    expect(on('arm64-emu')).toHaveLength(2);
    for (const c of on('arm64-emu')) {
      expect(c.status, JSON.stringify(c.error)).toBe('ok');
      expect(c.runtime?.arch).toBe('arm64');
      expect(c.repeats).toHaveLength(1);
      expect(c.repeatStop).toMatchObject({ processes: 1, reason: 'emulated', maxRepeats: 3 });
    }
    for (const c of on('host')) expect(c.repeatStop).toMatchObject({ processes: 3, reason: 'repeats' });
    expect(describeRepeatStops(results.cells)).toBe(
      "runner processes: 8 of at most 12; of 4 cell(s), 2 on an emulated device ran one (its latencies are the emulator's), 2 ran every repeat",
    );
  }, 180_000);

  it('takes the compare threshold as the target by default, and is off for A/B rounds and when disabled', async () => {
    const ab = await run('ab', 'adaptiveRepeats:\n  precision: 1', 4, { a: 'a', b: 'b', rounds: 4 });
    expect(ab.suite.adaptiveRepeats?.enabled).toBe(false);
    for (const c of ab.cells) expect(c.repeatStop).toMatchObject({ processes: 4, reason: 'repeats' });
    expect(ab.cells[0]!.repeatStop!.targetPrecision).toBeUndefined();

    const off = await run('off', 'adaptiveRepeats:\n  enabled: false\ncompare:\n  threshold: 0.5', 3);
    expect(off.suite.adaptiveRepeats).toEqual({ enabled: false, minRepeats: 3, precision: 0.5 });
    for (const c of off.cells) expect(c.repeatStop).toMatchObject({ processes: 3, reason: 'repeats' });
  });
});

describe('the stopping rule', () => {
  it('is the Student t interval of the mean of the per-process p50s', () => {
    const ci = meanCi([1, 2, 3])!;
    expect(ci.mean).toBe(2);
    // t(0.975, 2) = 4.302653 (tables), s = 1, n = 3.
    expect(ci.halfWidth).toBeCloseTo((4.302653 * 1) / Math.sqrt(3), 5);
    expect(meanCi([5])).toBeUndefined();
  });

  it('reads one p50 per process from the pooled samples, and stops a failed cell', () => {
    const measured = cell({ variant: 'v', samples: [10, 11, 12, 20, 21, 22, 30, 31, 32], repeats: 3 });
    expect(processP50s(measured)).toEqual([11, 21, 31]);
    const policy = { enabled: true, minRepeats: 3, maxRepeats: 5, precision: 0.03 };
    expect(repeatStop(measured, policy)).toMatchObject({ processes: 3, reason: 'unfinished' });
    expect(repeatStop({ ...measured, status: 'failed' }, policy).reason).toBe('failed');
    const steady = cell({ variant: 'v', samples: [10, 10, 10, 10.01, 10.01, 10.01, 10, 10, 10], repeats: 3 });
    expect(repeatStop(steady, policy)).toMatchObject({ processes: 3, reason: 'precise' });
    expect(repeatStop(steady, { ...policy, minRepeats: 4 }).reason).toBe('unfinished');
    // An emulated device's cell stops after its first process, unless adaptive repeats are off (run --ab) or it failed.
    const one = cell({ variant: 'v', samples: [10, 30], repeats: 1 });
    expect(repeatStop(one, policy, 'emulated')).toMatchObject({ processes: 1, reason: 'emulated' });
    expect(repeatStop(one, policy, 'measured').reason).toBe('unfinished');
    expect(repeatStop(one, { ...policy, enabled: false }, 'emulated').reason).toBe('unfinished');
    expect(repeatStop({ ...one, status: 'failed' }, policy, 'emulated').reason).toBe('failed');
  });
});
