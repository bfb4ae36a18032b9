import type { Report } from '../../core/report.ts';
import { PERPLEXITY_HEADER, perplexityNote, perplexityRows } from '../perplexity-table.ts';
import { escapeHtml as h } from './escape.ts';

/** perplexity runs: perplexity, KL divergence, same top-1 and Δp per device and variant; empty for other tasks. */
export function perplexitySection(report: Report): string {
  const runs = report.runs.filter((run) => perplexityRows(run).length > 0);
  if (runs.length === 0) return '';
  const body = runs
    .map((run) => {
      const rows = perplexityRows(run);
      const note = perplexityNote(run);
      return `<table><thead><tr>${PERPLEXITY_HEADER.map((c) => `<th>${h(c)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>${note ? `<p class="note">${h(note)}</p>` : ''}`;
    })
    .join('');
  return `<section id="perplexity"><h2>Perplexity and KL divergence</h2>${body}<p class="note">Definitions of KLD, same top-1 and Δp as llama-perplexity --kl-divergence; the perplexity interval is exp(mean NLL ± 1.96·SE).</p></section>`;
}
