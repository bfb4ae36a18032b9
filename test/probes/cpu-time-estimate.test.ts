import { describe, expect, it } from 'vitest';
import { cpuTimeEstimateProbe, modelJoules } from '../../harness/probes/cpu-time-estimate.ts';
import { hostFiles } from '../../harness/probes/files.ts';

const model = { name: 'pi5-datasheet', idleWatts: 2.7, activeWattsPerCore: 1.6 };

describe('CPU time x power model estimate', () => {
  it('is idle power over the wall time plus active power per busy core-second', () => {
    expect(modelJoules(model, 2000, 3000)).toBeCloseTo(2.7 * 2 + 1.6 * 3, 12);
  });

  it('uses the CPU time the runner reports for its timed phase, and labels the result an estimate', async () => {
    const probe = cpuTimeEstimateProbe({ deviceId: 'pi5', files: hostFiles('/'), now: () => 0, powerModel: model });
    expect(await probe.start(0)).toBeUndefined();
    probe.onRunnerEvent!({ type: 'timed-phase', edge: 'start' });
    probe.onRunnerEvent!({ type: 'timed-phase', edge: 'end', wallMs: 1500, cpuMs: 1200 });
    const reading = await probe.stop(2000, { start: 0, end: 1500 });
    expect(reading).toEqual({
      source: 'estimated',
      probe: 'cpu-time-estimate',
      joules: 2.7 * 1.5 + 1.6 * 1.2,
      from: 'CPU time x pi5-datasheet: 1.6 W per busy core-second of the runner plus 2.7 W idle over its timed phase',
    });
  });

  it('needs a power model, and a runner that reports its CPU time', async () => {
    expect(await cpuTimeEstimateProbe({ deviceId: 'pi5', files: hostFiles('/'), now: () => 0 }).start(0)).toBe(
      'no powerModel for this device in devices.yaml to estimate from',
    );
    const web = cpuTimeEstimateProbe({ deviceId: 'pi5', files: hostFiles('/'), now: () => 0, powerModel: model });
    await web.start(0);
    web.onRunnerEvent!({ type: 'timed-phase', edge: 'end', wallMs: 1500 });
    expect(await web.stop(2000, undefined)).toEqual({
      source: 'unavailable',
      reason: 'the runner cannot read its own CPU time here, which the powerModel estimate needs',
    });
  });
});
