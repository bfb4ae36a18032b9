import type { Metric } from '../core/metric.ts';
import type { CellResult } from '../core/results.ts';

/** The name of an estimate, as its label shows it: "CPU time x pi5-datasheet". */
export const estimateName = (from: string): string => from.split(': ')[0]!;

/** Where a cell's probes read, for "unavailable on <where>". */
export const probedOn = (cell: CellResult): string => cell.thermal?.where ?? cell.deviceId;

/** A metric's source as every report words it: "measured: <method>", "estimated (CPU time x <model>): <how>" or "unavailable on <where>: <reason>". */
export function sourceLabel(metric: Metric, where: string): string {
  if (metric.source === 'measured') return `measured: ${metric.method}`;
  if (metric.source === 'estimated') {
    const name = estimateName(metric.from);
    return `estimated (${name})${metric.from.length > name.length ? metric.from.slice(name.length) : ''}`;
  }
  return `unavailable on ${where}: ${metric.reason}`;
}

/** The energy and thermal figures reports show, with their units and digits. */
export const ENERGY_THERMAL_FIGURES = [
  { key: 'energyPerInferenceMj', title: 'energy / inference', unit: 'mJ', digits: 3 },
  { key: 'energyPerTokenMj', title: 'energy / token', unit: 'mJ', digits: 3 },
  { key: 'averagePowerWatts', title: 'average power', unit: 'W', digits: 2 },
  { key: 'temperatureStartC', title: 'temperature at start', unit: '°C', digits: 1 },
  { key: 'temperatureEndC', title: 'temperature at end', unit: '°C', digits: 1 },
  { key: 'throttlingEvents', title: 'throttling events', unit: '', digits: 0 },
] as const;

export interface EnergyThermalNote {
  /** Devices whose figures read the same, in words. */
  devices: string[];
  where: string;
  lines: { topic: string; text: string }[];
}

/**
 * What each device's energy and thermal figures are, in words: one line per
 * topic (energy, temperature, throttling, thermal gate, probe cost). Variants
 * whose wording differs are named; identical wording is said once, and
 * devices whose every line reads the same share one note.
 */
export function energyThermalNotes(cells: CellResult[]): EnergyThermalNote[] {
  const notes: EnergyThermalNote[] = [];
  for (const note of perDevice(cells)) {
    const same = notes.find((n) => n.where === note.where && JSON.stringify(n.lines) === JSON.stringify(note.lines));
    if (same) same.devices.push(...note.devices);
    else notes.push(note);
  }
  return notes;
}

function perDevice(cells: CellResult[]): EnergyThermalNote[] {
  const devices = [...new Set(cells.filter((c) => c.thermal || c.metrics.energyPerInferenceMj).map((c) => c.deviceId))];
  return devices.map((deviceId) => {
    const own = cells.filter((c) => c.deviceId === deviceId && (c.thermal || c.metrics.energyPerInferenceMj));
    const where = probedOn(own[0]!);
    const topic = (name: string, text: (cell: CellResult) => string | undefined) => {
      const byText = new Map<string, string[]>();
      for (const cell of own) {
        const t = text(cell);
        if (t !== undefined) byText.set(t, [...(byText.get(t) ?? []), cell.variant.name]);
      }
      const texts = [...byText];
      return texts.map(([t, variants]) => ({ topic: texts.length > 1 ? `${name} (${variants.join(', ')})` : name, text: t }));
    };
    const label = (key: 'energyPerInferenceMj' | 'temperatureStartC') => (cell: CellResult) =>
      cell.metrics[key] ? sourceLabel(cell.metrics[key]!, probedOn(cell)) : undefined;
    return {
      devices: [deviceId],
      where,
      lines: [
        ...topic('energy', label('energyPerInferenceMj')),
        ...topic('temperature', label('temperatureStartC')),
        ...topic('throttling', (c) =>
          c.thermal
            ? c.thermal.throttling === 'unknown'
              ? `unknown on ${probedOn(c)}: ${c.thermal.throttlingNote}`
              : `${c.thermal.throttling}: ${c.thermal.throttlingNote}`
            : undefined,
        ),
        ...topic('thermal gate', (c) => c.thermal?.gatingNote),
        { topic: 'probe cost', text: probeCost(own) },
      ],
    };
  });
}

/** What sampling cost over a device's cells: samples, their mean and longest time. */
function probeCost(cells: CellResult[]): string {
  const costs = cells.flatMap((c) => (c.thermal ? [c.thermal.probeCost] : []));
  const samples = costs.reduce((n, c) => n + c.samples, 0);
  if (samples === 0) return 'nothing was sampled (no probe needed the sampler)';
  const mean = costs.reduce((sum, c) => sum + c.meanMs * c.samples, 0) / samples;
  return `${samples} samples at ${Math.max(...costs.map((c) => c.rateHz))} Hz in the edgebench process, ${mean.toFixed(3)} ms each on average (longest ${Math.max(...costs.map((c) => c.maxMs)).toFixed(3)} ms)`;
}
