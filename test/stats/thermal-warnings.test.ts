import { describe, expect, it } from 'vitest';
import { thermalWarnings } from '../../harness/stats/thermal-warnings.ts';

describe('thermal warnings', () => {
  it('warns when the temperature rose 10 °C or more during the timed phase, with the remedy', () => {
    expect(thermalWarnings({ startC: 48, endC: 60 })).toEqual([
      {
        code: 'TEMPERATURE_ROSE',
        message: 'temperature rose 12.0 °C during the timed phase (48.0 to 60.0 °C, median over runner processes)',
        remedy: "set thermal.cooldownSeconds in the suite, or lower the thermal gate's ceilingC, so each process starts cool",
      },
    ]);
    expect(thermalWarnings({ startC: 48, endC: 57.9 })).toEqual([]);
  });

  it('warns about throttling and a gate that timed out, but not about a device without sensors', () => {
    const codes = thermalWarnings({
      gating: 'timed-out',
      gatingNote: 'thermally ungated: timed out after 120 s',
      throttling: 'throttled',
      throttlingNote: '2 throttling event(s)',
    }).map((w) => w.code);
    expect(codes).toEqual(['THROTTLED', 'THERMALLY_UNGATED']);
    expect(thermalWarnings({ gating: 'no-sensor', throttling: 'unknown' })).toEqual([]);
  });
});
