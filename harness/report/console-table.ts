import { metricValue, type Metric } from '../core/metric.ts';
import type { Results } from '../core/results.ts';
import { energyThermalNotes } from './energy-labels.ts';
import { instructionsNotes, instructionsText } from './instructions-labels.ts';
import { oneLine } from './terminal-text.ts';

const MiB = 1024 * 1024;

/** The end-of-run table: one row per device x variant. Unavailable values show as "n/a". */
export function consoleTable(results: Results): string {
  // Counted instructions sit beside wall time, in a column of their own when the run counted them.
  const counted = results.cells.some((cell) => cell.metrics.instructions);
  const header = [
    'device',
    'variant',
    'status',
    'n',
    'p50 ms',
    ...(counted ? ['instructions'] : []),
    'p90 ms',
    'p99 ms',
    'load ms',
    'peak RSS MiB',
    'model RSS MiB',
    'disk MiB',
    'mJ/inference',
  ];
  const rows = results.cells.map((cell) => {
    const latency = cell.metrics.latencyMs.source === 'measured' ? cell.metrics.latencyMs.summary : undefined;
    return [
      cell.deviceId,
      cell.variant.name,
      cell.status === 'ok' ? 'ok' : `FAILED ${cell.error?.code ?? ''}`.trim(),
      latency ? String(latency.n) : '-',
      fixed(latency?.p50, 3),
      ...(counted ? [instructionsText(cell.metrics.instructions)] : []),
      fixed(latency?.p90, 3),
      fixed(latency?.p99, 3),
      fixed(metricValue(cell.metrics.loadMs), 1),
      mib(cell.metrics.peakRssBytes),
      mib(cell.metrics.modelRssBytes),
      mib(cell.metrics.diskBytes),
      energy(cell.metrics.energyPerInferenceMj),
    ].map(oneLine);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = (i: number) => i >= 3;
  const line = (cells: string[]) => cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const failures = results.cells.filter((c) => c.error).map((c) => `  ${c.deviceId} / ${c.variant.name}: ${c.error!.code}: ${c.error!.message}`);
  const notes = energyThermalNotes(results.cells).flatMap((note) => [
    '',
    `energy and thermal, ${note.devices.join(', ')}:`,
    ...note.lines.map((l) => `  ${l.topic}: ${l.text}`),
  ]);
  const estimated = results.cells.some((c) => c.metrics.energyPerInferenceMj?.source === 'estimated') ? ['(~ marks an estimate, not a measurement)'] : [];
  // Names, error messages and notes come from results files and runners: each line stays one line, without control characters.
  return [
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    ...estimated,
    ...instructionsNotes(results.cells),
    ...(failures.length ? ['', 'failures:', ...failures] : []),
    ...notes,
  ]
    .map(oneLine)
    .join('\n');
}

/** mJ per inference; "~" marks an estimate; n/a when unavailable (the notes below the table say why). */
function energy(metric: Metric | undefined): string {
  const value = metric ? metricValue(metric) : undefined;
  return value === undefined ? 'n/a' : `${metric!.source === 'estimated' ? '~' : ''}${value.toFixed(3)}`;
}

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? 'n/a' : value.toFixed(digits);
}

function mib(metric: Metric): string {
  const value = metricValue(metric);
  return value === undefined ? 'n/a' : (value / MiB).toFixed(1);
}
