import { describe, expect, it } from 'vitest';
import { budgetResult } from '../../helpers/gate-report.ts';
import { GateReport, type BudgetResult } from '../../../harness/core/comparison.ts';
import { gateAnnotations } from '../../../harness/report/reporters/github.ts';

const HOSTILE = '<script>alert(1)</script> a|b, "quotes" & \'apostrophes\'\r\nline 2 100% %0A ::x';

const budget = (fields: Partial<BudgetResult>): BudgetResult => budgetResult({ ...fields });

const report = GateReport.parse({
  schemaVersion: 1,
  suite: 'demo',
  candidate: { runId: 'cand-2', file: 'cand/results.json' },
  comparisons: [],
  budgets: [
    budget({ passed: false, actual: 44.5, message: 'p90 44.5 ms exceeds 40 ms' }),
    budget({ name: HOSTILE, level: 'warn', passed: false, message: HOSTILE }),
    budget({ name: 'load time', metric: 'loadMs' }),
    budget({ name: 'disabled', level: 'off', passed: false }),
  ],
  warnings: [
    {
      code: 'WARMUP_TOO_SHORT',
      deviceId: 'pixel-7',
      variant: 'int8',
      run: 'baseline',
      message: 'first iterations 3x slower than the rest',
      remedy: 'raise warmup',
    },
  ],
  status: 'fail',
});

describe('gateAnnotations', () => {
  const lines = gateAnnotations(report);

  it('an error per failed error budget, a warning per failed warn budget and per measurement warning; nothing for passed or off budgets', () => {
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      '::error title=edgebench budget p90 latency failed on pixel-7 / int8::p90 44.5 ms exceeds 40 ms (latency.p90: expected p90 <= 40 ms, actual 44.5)',
    );
    expect(lines[1]).toMatch(/^::warning title=/);
    expect(lines[2]).toBe(
      '::warning title=edgebench WARMUP_TOO_SHORT on pixel-7 / int8 (baseline run)::first iterations 3x slower than the rest — remedy: raise warmup',
    );
  });

  it('keeps each command on one line and escapes % before the line breaks', () => {
    for (const line of lines) expect(line).not.toMatch(/[\r\n]/);
    const message = lines[1]!.slice(lines[1]!.indexOf('::', 2) + 2);
    expect(message).toBe(
      '<script>alert(1)</script> a|b, "quotes" & \'apostrophes\'%0D%0Aline 2 100%25 %250A ::x (latency.p90: expected p90 <= 40 ms, actual 31.234)',
    );
  });

  it('also escapes ":" and "," in the title, so the title cannot end early', () => {
    const title = lines[1]!.slice('::warning title='.length, lines[1]!.indexOf('::', 2));
    expect(title).toBe(
      'edgebench budget <script>alert(1)</script> a|b%2C "quotes" & \'apostrophes\'%0D%0Aline 2 100%25 %250A %3A%3Ax failed on pixel-7 / int8',
    );
    expect(title).not.toMatch(/[:,]/);
  });
});
