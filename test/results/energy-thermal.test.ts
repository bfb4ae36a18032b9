import { describe, expect, it } from 'vitest';
import type { GateRecord, RepeatProbes } from '../../harness/core/probe-readings.ts';
import { energyThermal } from '../../harness/results/energy-thermal.ts';

const GATE: GateRecord = {
  status: 'passed',
  waitedMs: 1200,
  celsius: 55,
  limitC: 70,
  note: 'gated: x86_pkg_temp (thermal_zone2) at 55.0 °C (ceiling 70.0 °C) after 1.2 s',
};
const COST = { rateHz: 10, samples: 12, skipped: 0, meanMs: 0.05, maxMs: 0.2 };

/** One runner process measured by RAPL: `joules` over a 500 ms timed phase at 100-600 ms, the package warming from `fromC` to `toC`. */
function process(joules: number, fromC: number, toC: number, extra: Partial<RepeatProbes> = {}): RepeatProbes {
  return {
    where: 'this machine',
    timedWindowMs: { start: 100, end: 600 },
    energy: {
      source: 'measured',
      probe: 'rapl',
      joules,
      method: 'RAPL energy counter package-0',
      trace: [
        [0, 0],
        [700, joules],
      ],
    },
    temperature: {
      source: 'measured',
      probe: 'thermal-zones',
      sensor: 'x86_pkg_temp',
      method: 'thermal zone x86_pkg_temp',
      trace: [
        [0, fromC - 1],
        [100, fromC],
        [350, (fromC + toC) / 2],
        [600, toC],
        [700, toC + 1],
      ],
    },
    throttling: { source: 'measured', probe: 'cpufreq', governor: 'powersave', method: 'cpufreq', samples: 6, events: [] },
    gate: GATE,
    cost: COST,
    ...extra,
  };
}
const samples = (n: number, tokens?: number) =>
  Array.from({ length: n }, () => ({ latencyMs: 1, ...(tokens ? { ttftMs: 1, decodeMs: Array.from({ length: tokens - 1 }, () => 1) } : {}) }));

describe('energy and thermal metrics of a cell', () => {
  it("divides each process's timed-phase energy by its iterations and its duration, and takes the median over processes", () => {
    const { metrics, thermal } = energyThermal(
      [
        { repeat: 1, probes: process(0.5, 50, 56), samples: samples(25) },
        { repeat: 2, probes: process(0.7, 52, 60), samples: samples(25) },
        { repeat: 3, probes: process(0.6, 51, 58), samples: samples(25) },
      ],
      '',
    );
    expect(metrics.energyPerInferenceMj).toMatchObject({ source: 'measured', unit: 'millijoules', value: 24 });
    expect(metrics.averagePowerWatts).toMatchObject({ source: 'measured', unit: 'watts', value: 1.2 });
    expect(metrics.energyPerInferenceMj!.source === 'measured' && metrics.energyPerInferenceMj!.method).toBe(
      'RAPL energy counter package-0: energy over the timed phase / its iterations; median of 3 runner processes; sampled at 10 Hz in the edgebench process beside the runner',
    );
    expect(metrics.temperatureStartC).toMatchObject({ source: 'measured', unit: 'celsius', value: 51 });
    expect(metrics.temperatureEndC).toMatchObject({ source: 'measured', value: 58 });
    expect(metrics.throttlingEvents).toMatchObject({ source: 'measured', unit: 'count', value: 0 });
    expect(metrics.energyPerTokenMj).toBeUndefined();
    expect(thermal).toEqual({
      where: 'this machine',
      gating: 'gated',
      gatingNote: 'gated before each of 3 runner process(es); longest wait 1.2 s',
      throttling: 'none',
      throttlingNote: 'no busy core ran throttled',
      probeCost: { rateHz: 10, samples: 36, meanMs: expect.closeTo(0.05, 12), maxMs: 0.2 },
    });
  });

  it('gives energy per generated token for generate cells, and keeps an estimate labelled as one', () => {
    const estimated: RepeatProbes['energy'] = {
      source: 'estimated',
      probe: 'cpu-time-estimate',
      joules: 0.8,
      from: 'CPU time x pi5-datasheet: 1.6 W per busy core-second of the runner plus 2.7 W idle over its timed phase',
    };
    const { metrics } = energyThermal([{ repeat: 1, probes: process(0, 50, 50, { energy: estimated }), samples: samples(10, 8) }], '');
    expect(metrics.energyPerTokenMj).toEqual({
      source: 'estimated',
      unit: 'millijoules',
      value: 10,
      from: `${estimated.from}: energy over the timed phase / the tokens it generated`,
    });
    expect(metrics.energyPerInferenceMj).toMatchObject({ source: 'estimated', value: 80 });
  });

  it('marks the cell thermally ungated when any process was, and counts throttling events over processes', () => {
    const hot: GateRecord = {
      status: 'timed-out',
      waitedMs: 120_000,
      celsius: 84,
      limitC: 70,
      note: 'thermally ungated: timed out after 120 s, x86_pkg_temp (thermal_zone2) still at 84.0 °C (ceiling 70.0 °C)',
    };
    const events = [{ cpu: 0, startMs: 200, endMs: 400, lowestRatio: 0.6 }];
    const { metrics, thermal } = energyThermal(
      [
        { repeat: 1, probes: process(0.5, 50, 56), samples: samples(25) },
        {
          repeat: 2,
          probes: process(0.5, 50, 56, { gate: hot, throttling: { source: 'measured', probe: 'cpufreq', method: 'cpufreq', samples: 6, events } }),
          samples: samples(25),
        },
      ],
      '',
    );
    expect(thermal).toMatchObject({
      gating: 'timed-out',
      gatingNote: `${hot.note} (1 of 2 runner processes)`,
      throttling: 'throttled',
      throttlingNote: '1 throttling event(s) in 1 of 2 runner process(es); cpu0 down to 60% of its maximum frequency',
    });
    expect(metrics.throttlingEvents).toMatchObject({ value: 1 });
  });

  it('says why each figure is unavailable, and adds nothing for processes without probe records', () => {
    const none: Partial<RepeatProbes> = {
      energy: { source: 'unavailable', reason: 'RAPL: no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed)' },
      temperature: { source: 'unavailable', reason: 'thermal zones: no /sys/class/thermal/thermal_zone* on this machine' },
      throttling: { source: 'unavailable', reason: 'cpufreq: no cpufreq' },
      gate: {
        status: 'no-sensor',
        waitedMs: 0,
        note: 'thermally ungated: no thermal sensor (thermal zones: no /sys/class/thermal/thermal_zone* on this machine)',
      },
    };
    const { metrics, thermal } = energyThermal([{ repeat: 1, probes: process(0, 0, 0, none), samples: samples(25) }], '');
    expect(metrics.energyPerInferenceMj).toEqual({
      source: 'unavailable',
      unit: 'millijoules',
      reason: none.energy!.source === 'unavailable' ? none.energy!.reason : '',
    });
    expect(metrics.temperatureStartC).toEqual({
      source: 'unavailable',
      unit: 'celsius',
      reason: 'thermal zones: no /sys/class/thermal/thermal_zone* on this machine',
    });
    expect(metrics.throttlingEvents).toEqual({ source: 'unavailable', unit: 'count', reason: 'cpufreq: no cpufreq' });
    expect(thermal).toMatchObject({ gating: 'no-sensor', throttling: 'unknown' });
    // A failed cell's figures are unavailable for that reason, measured or not.
    expect(
      energyThermal([{ repeat: 1, probes: process(0.5, 50, 56), samples: samples(25) }], 'the cell failed (TIMEOUT)').metrics.energyPerInferenceMj,
    ).toEqual({ source: 'unavailable', unit: 'millijoules', reason: 'the cell failed (TIMEOUT)' });
    expect(energyThermal([{ repeat: 1, samples: samples(25) }], '')).toEqual({ metrics: {} });
  });
});
