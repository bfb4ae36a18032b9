import type { Results } from '../core/results.ts';
import { oneLine } from './terminal-text.ts';
import { unscoredNotes } from './unscored-note.ts';

export const PERPLEXITY_HEADER = [
  'device',
  'variant',
  'tokens',
  'perplexity (95% CI)',
  'KLD mean',
  'KLD median',
  'KLD p99',
  'KLD max',
  'same top-1',
  'mean Δp',
  'RMS Δp',
];

const exp = (x: number) => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(4));
const percent = (share: number) => `${(share * 100).toFixed(2)}%`;

/**
 * One row per scored cell of a perplexity run: the perplexity with its
 * interval, and KL divergence, same top-1 and Δp against the stored reference
 * (Δp as percentage points, as llama-perplexity prints it).
 */
export function perplexityRows(results: Results): string[][] {
  return results.cells.flatMap((cell) => {
    const p = cell.quality?.perplexity;
    if (!p) return [];
    const d = p.divergence;
    return [
      [
        cell.deviceId,
        cell.variant.name,
        String(p.tokens),
        `${p.value.toFixed(3)} [${p.ci95.lower.toFixed(3)}, ${p.ci95.upper.toFixed(3)}]`,
        d ? exp(d.kld.mean) : '-',
        d ? exp(d.kld.median) : '-',
        d ? exp(d.kld.p99) : '-',
        d ? exp(d.kld.max) : '-',
        d ? percent(d.sameTop1) : '-',
        d ? percent(d.deltaP.mean) : '-',
        d ? percent(d.deltaP.rms) : '-',
      ],
    ];
  });
}

/** The note under the table: where the reference distributions are stored, and the bound their storage puts on the KL. */
export function perplexityNote(results: Results): string | undefined {
  const d = results.cells.find((c) => c.quality?.perplexity?.divergence)?.quality?.perplexity?.divergence;
  if (!d) return undefined;
  return `KL divergence against ${d.reference}'s distributions stored in ${d.file} (top ${d.topK} + remaining mass, mean remaining mass ${d.meanTailMass.toFixed(3)}): a lower bound of the full-vocabulary KL.`;
}

/** The end-of-run table of a perplexity run; empty when nothing was scored. */
export function perplexityTable(results: Results): string {
  const rows = perplexityRows(results).map((r) => r.map(oneLine));
  const notes = [perplexityNote(results), ...unscoredNotes([results])].flatMap((n) => (n ? [`  ${n}`] : []));
  if (rows.length === 0) return notes.join('\n');
  const widths = PERPLEXITY_HEADER.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(PERPLEXITY_HEADER), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].map(oneLine).join('\n');
}
