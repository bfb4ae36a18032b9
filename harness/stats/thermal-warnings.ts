import type { SampleWarning } from './warnings.ts';

/** A rise over one timed phase at least this large means heat from earlier work carried into the measurement. */
export const TEMPERATURE_RISE_LIMIT_C = 10;

export type ThermalWarningCode = 'TEMPERATURE_ROSE' | 'THROTTLED' | 'THERMALLY_UNGATED';

/** What the thermal warnings read from a cell: its temperatures at the timed phase's edges and its thermal state. */
export interface ThermalFacts {
  startC?: number;
  endC?: number;
  gating?: 'gated' | 'timed-out' | 'no-sensor' | 'off';
  gatingNote?: string;
  throttling?: 'none' | 'throttled' | 'unknown';
  throttlingNote?: string;
}

/**
 * The fixed set of thermal warnings for one cell, each with its remedy. A
 * device without sensors gets none: its figures already say "unavailable".
 */
export function thermalWarnings(facts: ThermalFacts): (Omit<SampleWarning, 'code'> & { code: ThermalWarningCode })[] {
  const warnings: (Omit<SampleWarning, 'code'> & { code: ThermalWarningCode })[] = [];
  if (facts.startC !== undefined && facts.endC !== undefined && facts.endC - facts.startC >= TEMPERATURE_RISE_LIMIT_C) {
    warnings.push({
      code: 'TEMPERATURE_ROSE',
      message: `temperature rose ${(facts.endC - facts.startC).toFixed(1)} °C during the timed phase (${facts.startC.toFixed(1)} to ${facts.endC.toFixed(1)} °C, median over runner processes)`,
      remedy: "set thermal.cooldownSeconds in the suite, or lower the thermal gate's ceilingC, so each process starts cool",
    });
  }
  if (facts.throttling === 'throttled') {
    warnings.push({
      code: 'THROTTLED',
      message: `the CPU ran throttled: ${facts.throttlingNote ?? ''}`.trim(),
      remedy:
        'cool the device (a lower thermal gate ceiling, a cooldown, a fan), or fix its governor; compare will not compare this cell with an unthrottled one',
    });
  }
  if (facts.gating === 'timed-out') {
    warnings.push({
      code: 'THERMALLY_UNGATED',
      message: facts.gatingNote ?? 'the thermal gate timed out',
      remedy:
        "raise thermal.gate.timeoutSeconds in the suite, add a cooldown, or improve the device's cooling; compare will not compare this cell with a gated one",
    });
  }
  return warnings;
}
