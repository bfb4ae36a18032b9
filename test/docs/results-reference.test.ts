import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Metric } from '../../harness/core/metric.ts';
import { CellResult, Results } from '../../harness/core/results.ts';
import { RuntimeOptions } from '../../harness/core/runtime.ts';
import { referenceSections, renderResultsReference, undescribedFields } from '../../harness/results/results-reference.ts';

describe('results.json reference', () => {
  it('has a description for every field of the results schema', () => {
    expect(undescribedFields(Results)).toEqual([]);
  });

  it('reports a field added without a description, at the top level, nested, and in a union option', () => {
    const extended = Results.extend({
      addedAtTop: z.number(),
      cells: z.array(CellResult.extend({ addedInCell: z.string().optional(), described: z.string().describe('Has one.') })).describe('Cells.'),
      extraMetric: z
        .discriminatedUnion('source', [z.strictObject({ source: z.literal('new').describe('A new kind.'), addedInOption: z.number() })])
        .describe('A new metric.'),
    });
    expect(undescribedFields(extended)).toEqual(['Results: cells[].addedInCell?', 'Results: addedAtTop', 'Results: extraMetric.addedInOption']);
  });

  it('asks a field for its own description even when its type has one', () => {
    expect(RuntimeOptions.description).toBeTruthy();
    expect(undescribedFields(Results.extend({ addedOptions: RuntimeOptions, describedOptions: RuntimeOptions.optional().describe('Has one.') }))).toEqual([
      'Results: addedOptions',
    ]);
  });

  it('docs/results-reference.md is the current rendering of the schema (run `npm run docs:results` after changing it)', async () => {
    expect(await readFile('docs/results-reference.md', 'utf8')).toBe(renderResultsReference());
  });

  it('names each composed type once, with every path it is found at, arrays as [] and absent-able fields with ?', () => {
    const sections = referenceSections(Results);
    expect(sections.map((s) => s.name)).toEqual(
      expect.arrayContaining(['Results', 'CellResult', 'Metric', 'LatencyMetric', 'Summary', 'RepeatProbes', 'Quality']),
    );
    expect(new Set(sections.map((s) => s.name)).size).toBe(sections.length);
    const metric = sections.find((s) => s.name === 'Metric')!;
    expect(metric.usedAt).toEqual(expect.arrayContaining(['cells[].metrics.loadMs', 'cells[].metrics.energyPerInferenceMj']));
    // One row set per union option, led by its discriminator.
    expect(metric.rows.filter((r) => r.heading).map((r) => r.path)).toEqual(['source = "measured"', 'source = "estimated"', 'source = "unavailable"']);
    const text = renderResultsReference();
    expect(text).toContain('| `cells` | [CellResult](#cellresult)[] |');
    expect(text).toContain('| `finishedAt?` | string (ISO 8601 date-time, UTC) |');
    expect(text).toContain('| `metrics.loadMs` | [Metric](#metric) |');
    expect(text).toContain('| `shared[].capacity` | integer |');
    expect(text).toContain(`| \`${'trace'}\` | [number, number][] |`);
  });

  it('renders a schema by its own shape: a metric outside results is one section', () => {
    const sections = referenceSections(z.strictObject({ m: Metric.describe('A metric.') }), 'Probe', 'test');
    expect(sections.map((s) => s.name)).toEqual(['Probe', 'Metric']);
    expect(sections[0]!.rows).toEqual([{ path: 'm', type: '[Metric](#metric)', description: 'A metric.' }]);
  });
});
