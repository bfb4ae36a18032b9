import { describe, expect, it } from 'vitest';
import { budgetResult } from '../../helpers/gate-report.ts';
import { GateReport, type BudgetResult, type Comparison } from '../../../harness/core/comparison.ts';
import { gateMarkdown } from '../../../harness/report/reporters/markdown.ts';

const HOSTILE = '<script>alert(1)</script> a|b "quotes" & \'apostrophes\'\nsecond line 100% ::x `tick`';

const budget = (fields: Partial<BudgetResult>): BudgetResult => budgetResult({ ...fields });

const comparison = (fields: Partial<Comparison>): Comparison => ({
  deviceId: 'pixel-7',
  variant: 'int8',
  metric: 'latency.p50',
  unit: 'ms',
  higherIsBetter: false,
  baseline: { value: 10, n: 100 },
  candidate: { value: 10.05, n: 100 },
  delta: { absolute: 0.05, relative: 0.005, relativeCi95: { lower: -0.01, upper: 0.02 }, method: 'bootstrap' },
  pValue: 0.4,
  adjustedPValue: 0.8,
  verdict: 'unchanged',
  rule: 'CI includes 0',
  ...fields,
});

const failing = GateReport.parse({
  schemaVersion: 1,
  suite: 'demo',
  baseline: { runId: 'base-1', file: 'base/results.json' },
  candidate: { runId: 'cand-2', file: 'cand/results.json' },
  comparisons: [
    comparison({}),
    comparison({
      metric: 'latency.p90',
      baseline: { value: 20 },
      candidate: { value: 24.6 },
      delta: { absolute: 4.6, relative: 0.23, relativeCi95: { lower: 0.18, upper: 0.281 }, method: 'bootstrap' },
      pValue: 0.0001,
      adjustedPValue: 0.0004,
      verdict: 'regressed',
      rule: 'CI above +5% and p < 0.05',
    }),
    comparison({
      variant: HOSTILE,
      metric: 'peakRssBytes',
      unit: 'bytes',
      baseline: undefined,
      candidate: { value: 50 * 1024 * 1024 },
      delta: undefined,
      verdict: 'incomparable',
      rule: 'no baseline cell',
    }),
  ],
  budgets: [
    budget({ passed: false, actual: 44.5, message: 'p90 44.5 ms exceeds 40 ms' }),
    budget({ name: HOSTILE, level: 'warn', metric: 'peakRssBytes', passed: false, expected: 'peak RSS <= 40 MiB', actual: 50 * 1024 * 1024, message: HOSTILE }),
    budget({ name: 'load time', metric: 'loadMs' }),
    budget({ name: 'disabled', level: 'off', passed: false }),
  ],
  warnings: [
    {
      code: 'WARMUP_TOO_SHORT',
      deviceId: 'pixel-7',
      variant: 'int8',
      run: 'candidate',
      message: 'first iterations 3x slower than the rest',
      remedy: 'raise warmup',
    },
  ],
  status: 'fail',
});

const passing = GateReport.parse({
  ...failing,
  comparisons: [comparison({})],
  budgets: [budget({}), budget({ name: 'rss', level: 'warn', passed: false, message: 'rss grew' })],
  warnings: [],
  status: 'pass',
});

/** Splits a Markdown table row at its unescaped pipes. */
const cells = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1);

describe('gateMarkdown', () => {
  const text = gateMarkdown(failing);
  const lines = text.split('\n');

  it('says FAIL on its first line and names the failed error-level budget', () => {
    expect(lines[0]).toMatch(/^## ❌ edgebench gate: FAIL — 1 error-level budget failed: \*\*p90 latency\*\* \(latency\.p90 on pixel-7 \/ int8\)$/);
  });

  it('says PASS on its first line and mentions failed warn-level budgets', () => {
    expect(gateMarkdown(passing).split('\n')[0]).toBe('## ✅ edgebench gate: PASS — no error-level budget failed (1 warn-level budget failed)');
  });

  it('tables the failed error and warn budgets with expected and actual, not the passing or off ones', () => {
    const budgetRows = lines.slice(lines.indexOf('### Budgets'), lines.indexOf('### Changes')).filter((l) => l.startsWith('| ❌') || l.startsWith('| ⚠️'));
    expect(budgetRows).toHaveLength(2);
    expect(cells(budgetRows[0]!).map((c) => c.trim())).toEqual([
      '❌ error',
      'p90 latency',
      'pixel-7',
      'int8',
      'latency.p90',
      'p90 &lt;= 40 ms',
      '44.5 ms',
      'p90 44.5 ms exceeds 40 ms',
    ]);
    // The budget's unit comes from the comparison of the same metric: bytes, shown as MiB.
    expect(cells(budgetRows[1]!)[6]!.trim()).toBe('50.0 MiB');
    expect(text).not.toContain('load time');
    expect(text).not.toContain('disabled');
  });

  it('tables the comparisons that are not unchanged, regressions first, with the change and its CI', () => {
    const changes = lines.slice(lines.indexOf('### Changes'), lines.indexOf('<details>')).filter((l) => l.startsWith('| pixel-7'));
    expect(changes).toHaveLength(2);
    expect(cells(changes[0]!).map((c) => c.trim())).toEqual([
      'pixel-7',
      'int8',
      'latency.p90',
      '20.0 ms',
      '24.6 ms',
      '+23.0% [+18.0%, +28.1%]',
      '🔴 regressed',
      'CI above +5% and p &lt; 0.05',
    ]);
    expect(cells(changes[1]!).map((c) => c.trim())).toContain('⚪ incomparable');
  });

  it('keeps every comparison, with p-values, in a collapsed details section', () => {
    const start = lines.indexOf('<details>');
    const end = lines.indexOf('</details>');
    expect(lines[start + 1]).toBe('<summary>All 3 comparisons</summary>');
    expect(lines[start + 2]).toBe(''); // GitHub renders Markdown inside <details> only after a blank line
    const rows = lines.slice(start, end).filter((l) => l.startsWith('| pixel-7'));
    expect(rows).toHaveLength(3);
    expect(
      cells(rows[0]!)
        .map((c) => c.trim())
        .slice(-4),
    ).toEqual(['unchanged', 'CI includes 0', '0.400', '0.800']);
    expect(
      cells(rows[1]!)
        .map((c) => c.trim())
        .slice(-2),
    ).toEqual(['&lt;0.001', '&lt;0.001']);
  });

  it('lists measurement warnings with their remedies', () => {
    expect(text).toContain('- **WARMUP\\_TOO\\_SHORT** on pixel-7 / int8 (candidate run): first iterations 3x slower than the rest — remedy: raise warmup');
  });

  it('escapes text from the report so it cannot add HTML, cells or lines', () => {
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('`');
    expect(text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; a\\|b "quotes" &amp; \'apostrophes\' second line 100% ::x &#96;tick&#96;');
    // Every table row has exactly as many cells as its header.
    const tables = text.split('\n\n').filter((block) => block.startsWith('| '));
    for (const table of tables) {
      const rows = table.split('\n');
      for (const row of rows) expect(cells(row)).toHaveLength(cells(rows[0]!).length);
    }
  });

  it('says when a budget could not be checked', () => {
    const report = GateReport.parse({ ...failing, budgets: [budget({ passed: false, actual: null, message: 'no candidate cell' })] });
    const row = gateMarkdown(report)
      .split('\n')
      .find((l) => l.startsWith('| ❌'))!;
    expect(
      cells(row)
        .map((c) => c.trim())
        .slice(-2),
    ).toEqual(['not checked', 'no candidate cell']);
  });

  it('does not let a backslash in the data un-escape a pipe', () => {
    const report = GateReport.parse({ ...failing, budgets: [budget({ passed: false, name: 'a\\|b' })] });
    const row = gateMarkdown(report)
      .split('\n')
      .find((l) => l.startsWith('| ❌'))!;
    expect(row).toContain('a\\\\\\|b');
    expect(cells(row)).toHaveLength(8);
  });
});
