import { metricValue } from '../core/metric.ts';
import type { Results } from '../core/results.ts';
import { perplexityTable } from './perplexity-table.ts';
import { oneLine } from './terminal-text.ts';
import { unscoredNotes } from './unscored-note.ts';

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const interval = (ci: { lower: number; upper: number }) => `[${percent(ci.lower)}, ${percent(ci.upper)}]`;

/**
 * The end-of-run quality table: agreement with the baseline (95% CI),
 * hallucination and out-of-domain error, fidelity to the reference variant,
 * generation speed, and the router's recommendation. Empty when nothing was scored.
 */
export function qualityTable(results: Results): string {
  if (results.suite.task === 'perplexity') return perplexityTable(results);
  const scored = results.cells.filter((c) => c.quality || c.metrics.ttftMs);
  if (scored.length === 0) return '';
  // Slot F1 only where the suite scores slots (scoring.slots), so other suites' tables keep their columns.
  const slots = scored.some((c) => c.quality?.slots);
  const header = [
    'device',
    'variant',
    'agreement (95% CI)',
    ...(slots ? ['slot F1 (95% CI)', 'intent'] : []),
    'halluc.',
    'out-of-dom.',
    'KL vs ref',
    'top-1',
    'TTFT p50',
    'tok/s',
    'router',
  ];
  const rows = scored.map((cell) => {
    const q = cell.quality;
    const ttft = cell.metrics.ttftMs?.source === 'measured' ? `${cell.metrics.ttftMs.summary.p50.toFixed(2)} ms` : '-';
    const tokensPerSecond = cell.metrics.decodeTokensPerSecond ? metricValue(cell.metrics.decodeTokensPerSecond) : undefined;
    const router = q?.router?.recommended
      ? `${percent(q.router.recommended.localShare)} local @ ${q.router.signal} ${q.router.recommended.threshold.toPrecision(3)}`
      : q?.router
        ? 'target not reachable'
        : '-';
    return [
      cell.deviceId,
      cell.variant.name,
      q?.agreement ? `${q.agreement.metric} ${percent(q.agreement.value)} ${interval(q.agreement.ci95)}` : '-',
      ...(slots ? [q?.slots ? `${percent(q.slots.f1)} ${interval(q.slots.ci95)}` : '-', q?.slots ? percent(q.slots.intentAccuracy) : '-'] : []),
      q?.hallucination ? percent(q.hallucination.rate) : '-',
      q?.outOfDomain ? percent(q.outOfDomain.rate) : '-',
      q?.fidelity ? q.fidelity.meanKlDivergence.toExponential(2) : '-',
      q?.fidelity ? percent(q.fidelity.top1Agreement) : '-',
      ttft,
      tokensPerSecond !== undefined ? tokensPerSecond.toFixed(0) : '-',
      router,
    ].map(oneLine);
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes = unscoredNotes([results]).map((note) => `  ${note}`);
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].map(oneLine).join('\n');
}
