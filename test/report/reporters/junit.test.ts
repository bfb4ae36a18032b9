import { describe, expect, it } from 'vitest';
import { budgetResult } from '../../helpers/gate-report.ts';
import { parseXml } from '../../helpers/xml.ts';
import { GateReport, type BudgetResult } from '../../../harness/core/comparison.ts';
import { gateJUnit } from '../../../harness/report/reporters/junit.ts';

const HOSTILE = '<script>alert(1)</script> a|b "quotes" & \'apostrophes\'\nline 2 100% ::x\u0000\u001b\uFFFE';

const budget = (fields: Partial<BudgetResult>): BudgetResult => budgetResult({ values: { threshold: 40, aggregation: 'p90' }, ...fields });

const report = GateReport.parse({
  schemaVersion: 1,
  suite: 'demo',
  candidate: { runId: 'cand-2', file: 'cand/results.json' },
  comparisons: [],
  budgets: [
    budget({ passed: false, actual: 44.5, message: 'p90 44.5 ms exceeds 40 ms' }),
    budget({ name: HOSTILE, level: 'warn', variant: HOSTILE, passed: false, message: HOSTILE }),
    budget({ name: 'load time', metric: 'loadMs' }),
    budget({ name: 'disabled', level: 'off', passed: false }),
  ],
  warnings: [
    {
      code: 'THERMAL_DRIFT',
      deviceId: 'pixel-7',
      variant: 'int8',
      run: 'candidate',
      message: 'temperature rose 12 C <during> the cell',
      remedy: 'enable cooldown',
    },
  ],
  status: 'fail',
});

/** Well-formed: a strict XML parser reads it back. */
function assertWellFormed(xml: string): void {
  expect(() => parseXml(xml)).not.toThrow();
}

describe('gateJUnit', () => {
  const xml = gateJUnit(report);

  it('is well-formed XML, hostile strings included', () => {
    assertWellFormed(xml);
  });

  it('is one testsuite named "edgebench gate" with counts and time 0', () => {
    expect(xml.match(/<testsuite /g)).toHaveLength(1);
    expect(xml).toContain('<testsuite name="edgebench gate" tests="4" failures="1" errors="0" skipped="1" time="0">');
  });

  it('fails the failed error-level budget with its message and the values it used', () => {
    expect(xml).toContain(
      '<testcase classname="pixel-7.int8" name="p90 latency (latency.p90)" time="0">\n      <failure message="p90 44.5 ms exceeds 40 ms" type="budget">p90 44.5 ms exceeds 40 ms\nexpected: p90 &lt;= 40 ms\nactual: 44.5\nthreshold: 40\naggregation: p90</failure>',
    );
  });

  it('passes a failed warn-level budget with a note, skips a budget at level off, and passes the rest', () => {
    const warned = xml.slice(xml.indexOf('<testcase classname="pixel-7.&lt;script'), xml.indexOf('name="load time'));
    expect(warned).not.toContain('<failure');
    expect(warned).toContain('<system-out>warn-level budget failed (not gating): ');
    expect(xml).toContain('<testcase classname="pixel-7.int8" name="load time (loadMs)" time="0"/>');
    expect(xml).toContain('<testcase classname="pixel-7.int8" name="disabled (latency.p90)" time="0">\n      <skipped message="budget level is off"/>');
  });

  it('escapes attributes and text, and drops characters XML 1.0 forbids', () => {
    const escapedAttribute = '&lt;script&gt;alert(1)&lt;/script&gt; a|b &quot;quotes&quot; &amp; &apos;apostrophes&apos;&#10;line 2 100% ::x';
    expect(xml).toContain(`classname="pixel-7.${escapedAttribute}"`);
    expect(xml).toContain(`name="${escapedAttribute} (latency.p90)"`);
    expect(xml).toContain('&lt;script&gt;alert(1)&lt;/script&gt; a|b "quotes" &amp; \'apostrophes\'\nline 2 100% ::x\nexpected');
    expect(xml).not.toContain('<script>');
    expect(xml).not.toMatch(/[\u0000\u001b\uFFFE]/);
  });

  it('puts measurement warnings in the suite system-out', () => {
    expect(xml).toContain(
      '<system-out>THERMAL_DRIFT on pixel-7 / int8 (candidate run): temperature rose 12 C &lt;during&gt; the cell — remedy: enable cooldown</system-out>',
    );
  });

  it('the well-formedness check rejects what it should', () => {
    expect(() => assertWellFormed('<a x="1"><b></a></b>')).toThrow();
    expect(() => assertWellFormed('<a>x & y</a>')).toThrow();
    expect(() => assertWellFormed('<a x="<">y</a>')).toThrow();
    expect(() => assertWellFormed('<a>\u0001</a>')).toThrow();
  });
});
