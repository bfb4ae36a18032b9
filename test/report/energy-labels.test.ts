import { describe, expect, it } from 'vitest';
import { energyThermalNotes, sourceLabel } from '../../harness/report/energy-labels.ts';
import { measured, unavailable } from '../../harness/core/metric.ts';
import { cell } from '../helpers/results.ts';

describe('energy and thermal labels', () => {
  it('words each source: measured with its method, an estimate with its model, unavailable with where and why', () => {
    expect(sourceLabel(measured(0.45, 'millijoules', 'RAPL energy counter package-0'), 'this machine')).toBe('measured: RAPL energy counter package-0');
    expect(
      sourceLabel(
        {
          source: 'estimated',
          value: 0.6,
          unit: 'millijoules',
          from: 'CPU time x pi5-datasheet: 1.6 W per busy core-second of the runner plus 2.7 W idle over its timed phase',
        },
        'this machine',
      ),
    ).toBe('estimated (CPU time x pi5-datasheet): 1.6 W per busy core-second of the runner plus 2.7 W idle over its timed phase');
    expect(
      sourceLabel(unavailable('millijoules', 'RAPL: no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed)'), 'this machine'),
    ).toBe('unavailable on this machine: RAPL: no /sys/class/powercap/intel-rapl:* on this machine (a VM, or RAPL not exposed)');
  });

  it("says each device's figures once when every variant shares them, names the variants when they differ, and groups devices that read the same", () => {
    const why = 'thermal zones: no /sys/class/thermal/thermal_zone* on this machine';
    const thermal = {
      where: 'this machine',
      gating: 'no-sensor' as const,
      gatingNote: `thermally ungated: no thermal sensor (${why})`,
      throttling: 'unknown' as const,
      throttlingNote: 'cpufreq: none',
      probeCost: { rateHz: 0, samples: 0, meanMs: 0, maxMs: 0 },
    };
    const cells = ['fp32', 'int8'].map((variant) => ({ ...cell({ variant, samples: [1, 2, 3] }), thermal }));
    for (const c of cells)
      Object.assign(c.metrics, { energyPerInferenceMj: unavailable('millijoules', 'RAPL: none'), temperatureStartC: unavailable('celsius', why) });
    cells[1]!.metrics.energyPerInferenceMj = measured(0.5, 'millijoules', 'external power meter');
    expect(energyThermalNotes(cells)).toEqual([
      {
        devices: ['host'],
        where: 'this machine',
        lines: [
          { topic: 'energy (fp32)', text: 'unavailable on this machine: RAPL: none' },
          { topic: 'energy (int8)', text: 'measured: external power meter' },
          { topic: 'temperature', text: `unavailable on this machine: ${why}` },
          { topic: 'throttling', text: 'unknown on this machine: cpufreq: none' },
          { topic: 'thermal gate', text: `thermally ungated: no thermal sensor (${why})` },
          { topic: 'probe cost', text: 'nothing was sampled (no probe needed the sampler)' },
        ],
      },
    ]);
    const twins = ['host', 'low-end'].map((deviceId) => ({ ...cell({ deviceId, variant: 'fp32', samples: [1, 2, 3] }), thermal }));
    expect(energyThermalNotes(twins).map((n) => n.devices)).toEqual([['host', 'low-end']]);
  });
});
