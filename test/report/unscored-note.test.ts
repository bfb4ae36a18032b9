import { describe, expect, it } from 'vitest';
import { renderPage } from '../../harness/report/html/page.ts';
import { qualityTable } from '../../harness/report/quality-table.ts';
import { buildReport } from '../../harness/report/report.ts';
import { unscoredNote, unscoredNotes } from '../../harness/report/unscored-note.ts';
import { HOSTILE } from '../helpers/report.ts';
import { results } from '../helpers/results.ts';

/** A run whose int8 cell has an agreement score, an unscored router (with its missing inputs) and an unscored fidelity from an older file. */
function runWithUnscored(variant = 'int8') {
  const run = results([
    { variant: 'fp32', samples: [1, 2, 3], correct: [true, true] },
    { variant, samples: [1, 2, 3], correct: [true, false] },
  ]);
  run.cells[1]!.quality!.unscored = [
    { scorer: 'router', reason: 'the baseline answers were not loaded', missing: ['baselineAnswers', 'logits'] },
    { scorer: 'fidelity', reason: 'the reference variant "fp32" has no result on device host' },
  ];
  return run;
}

describe('the unscored note', () => {
  it('says which scorer, why, and which inputs were missing', () => {
    expect(unscoredNote({ scorer: 'router', reason: 'the baseline answers were not loaded', missing: ['baselineAnswers', 'logits'] })).toBe(
      'router unscored, because the baseline answers were not loaded (missing: baseline answers, logits)',
    );
  });

  it('gives the reason alone for an entry written before inputs were named', () => {
    expect(unscoredNote({ scorer: 'fidelity', reason: 'no example has outputs from both this variant and "fp32"' })).toBe(
      'fidelity unscored, because no example has outputs from both this variant and "fp32"',
    );
  });

  it('prefixes device and variant, and the run when there are several', () => {
    expect(unscoredNotes([runWithUnscored()])[0]).toBe(
      'host / int8: router unscored, because the baseline answers were not loaded (missing: baseline answers, logits)',
    );
    const second = { ...runWithUnscored(), runId: 'second' };
    expect(unscoredNotes([runWithUnscored(), second]).at(-1)).toBe(
      'second / host / int8: fidelity unscored, because the reference variant "fp32" has no result on device host',
    );
  });

  it('is printed below the console quality table', () => {
    const lines = qualityTable(runWithUnscored()).split('\n');
    const table = lines.indexOf('');
    expect(table).toBeGreaterThan(0);
    expect(lines.slice(table + 1)).toEqual([
      '  host / int8: router unscored, because the baseline answers were not loaded (missing: baseline answers, logits)',
      '  host / int8: fidelity unscored, because the reference variant "fp32" has no result on device host',
    ]);
  });

  it('is listed, escaped, in the quality section of the HTML report', () => {
    const { html } = renderPage(buildReport({ runs: [runWithUnscored(HOSTILE[0]!)], gates: [] }));
    const markup = html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');
    const section = markup.slice(markup.indexOf('<section id="quality">'), markup.indexOf('<section id="router">'));
    expect(section).toContain(
      '<ul class="notes"><li>host / &lt;script&gt;window.__pwned = 1&lt;/script&gt;: router unscored, because the baseline answers were not loaded (missing: baseline answers, logits)</li>',
    );
    expect(section).toContain('fidelity unscored, because the reference variant &quot;fp32&quot; has no result on device host</li>');
    expect(markup).not.toContain(HOSTILE[0]);
  });
});
