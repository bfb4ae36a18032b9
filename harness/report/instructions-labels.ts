import { INSTRUCTIONS_LABEL, type InstructionsMetric } from '../core/instructions-metric.ts';
import type { CellResult } from '../core/results.ts';

/** An instruction count as reports show it: grouped digits, "/token" for generate; n/a when unavailable. */
export function instructionsText(metric: InstructionsMetric | undefined): string {
  if (!metric) return '-';
  if (metric.source === 'unavailable') return 'n/a';
  return `${Math.round(metric.value).toLocaleString('en-US')}${metric.per === 'token' ? '/token' : ''}`;
}

/**
 * The lines reports print under a table that holds instruction counts: the caveat once,
 * then each cell's reason for no count, and each warning that the count describes other kernels.
 */
export function instructionsNotes(cells: readonly CellResult[]): string[] {
  const counted = cells.filter((c) => c.metrics.instructions);
  if (counted.length === 0) return [];
  const reasons = [...new Set(counted.flatMap((c) => (c.metrics.instructions!.source === 'unavailable' ? [c.metrics.instructions!.reason] : [])))];
  const warnings = counted.flatMap((c) => {
    const metric = c.metrics.instructions!;
    return metric.source === 'measured' ? (metric.warnings ?? []).map((w) => `${c.deviceId} / ${c.variant.name}: ${w}`) : [];
  });
  return [
    `instructions per inference: ${INSTRUCTIONS_LABEL}; wall time is this CPU's own`,
    ...reasons.map((r) => `instructions n/a: ${r}`),
    ...warnings.map((w) => `warning: ${w}`),
  ];
}
