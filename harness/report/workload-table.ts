import { metricValue } from '../core/metric.ts';
import type { CellResult, Results } from '../core/results.ts';
import { oneLine } from './terminal-text.ts';

/** The pp/tg table of a run whose suite had a workload: header and rows of text, for the terminal and the HTML report. */
export interface WorkloadTable {
  header: string[];
  rows: string[][];
  /** Where the KV figure comes from, once for the table. */
  notes: string[];
}

/**
 * One row per cell, as llama-bench prints its tests: tokens/s of each pp and tg test, the inter-token
 * latency p50 of each tg depth, and the KV cache bytes each context token costs. Undefined when no cell ran a workload.
 */
export function workloadTable(cells: readonly CellResult[]): WorkloadTable | undefined {
  const withWorkload = cells.filter((c) => c.metrics.workload && Object.keys(c.metrics.workload).length > 0);
  if (withWorkload.length === 0) return undefined;
  const ids = [...new Set(withWorkload.flatMap((c) => Object.keys(c.metrics.workload!)))];
  const tests = ids.map((id) => ({ id, test: withWorkload.find((c) => c.metrics.workload![id])!.metrics.workload![id]! }));
  const pp = tests.filter((t) => t.test.kind === 'pp');
  const tg = tests.filter((t) => t.test.kind === 'tg');
  const header = [
    'device',
    'variant',
    ...pp.map((t) => `${t.id} t/s`),
    ...tg.map((t) => `${t.id} t/s`),
    ...tg.map((t) => `ITL p50 ms @d${t.test.depthTokens}`),
    'KV bytes/token',
  ];
  const rows = withWorkload.map((cell) => {
    const figures = cell.metrics.workload!;
    const speed = (id: string) => {
      const metric = figures[id]?.tokensPerSecond;
      const value = metric ? metricValue(metric) : undefined;
      return value === undefined ? 'n/a' : value.toFixed(1);
    };
    const itl = (id: string) => {
      const step = figures[id]?.stepMs;
      return step?.source === 'measured' ? step.summary.p50.toFixed(3) : 'n/a';
    };
    const kv = cell.metrics.kvCacheBytesPerToken;
    const kvValue = kv ? metricValue(kv) : undefined;
    return [
      cell.deviceId,
      cell.variant.name,
      ...pp.map((t) => speed(t.id)),
      ...tg.map((t) => speed(t.id)),
      ...tg.map((t) => itl(t.id)),
      kvValue === undefined ? 'n/a' : `${kv!.source === 'estimated' ? '~' : ''}${kvValue}`,
    ];
  });
  const sources = [...new Set(withWorkload.flatMap((c) => (c.metrics.kvCacheBytesPerToken?.source === 'estimated' ? [c.metrics.kvCacheBytesPerToken.from] : [])))];
  const notes = [
    'pp<P>: prefill tokens/s of a P-token prompt into an empty KV cache; tg<G>@d<D>: decode tokens/s of G tokens after D tokens were put in the cache; ITL: inter-token latency (one decode step).',
    ...sources.map((from) => `~ KV bytes/token is estimated, from ${from}`),
  ];
  return { header, rows, notes };
}

/** The pp/tg table as terminal text; empty when no cell ran a workload. */
export function workloadConsoleTable(results: Results): string {
  const table = workloadTable(results.cells);
  if (!table) return '';
  const rows = table.rows.map((r) => r.map(oneLine));
  const widths = table.header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(table.header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...table.notes.map((n) => oneLine(`  ${n}`))].join('\n');
}
