import type { BudgetResult, GateReport } from '../../core/comparison.ts';
import type { Reporter } from './reporter.ts';
import { writeReportFile } from './report-file.ts';

const SUITE_NAME = 'edgebench gate';

/**
 * The gates' budgets as JUnit XML, one testsuite per gate and one testcase per
 * budget result, so CI test-report views list them. Only failed error-level
 * budgets are failures: a failed warn-level budget passes with a note in its
 * system-out (the gate stays green, as it does), and a budget at level off is skipped.
 */
export function gatesJUnit(gates: GateReport[]): string {
  const all = gates.flatMap((g) => g.budgets);
  // Several suites of one name would be merged by some viewers: each names its run when there are several.
  const suiteName = (gate: GateReport) => (gates.length > 1 ? `${SUITE_NAME} (${gate.candidate.runId})` : SUITE_NAME);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(SUITE_NAME)}" ${counts(all)}>`,
    ...gates.flatMap((gate) => testsuite(gate, suiteName(gate))),
    '</testsuites>',
    '',
  ].join('\n');
}

/** One gate alone: what compare writes. */
export const gateJUnit = (report: GateReport): string => gatesJUnit([report]);

/** The budgets of every gate of the report as JUnit XML (junit.xml). */
export const junitReporter = {
  name: 'junit',
  description: 'JUnit XML with one testcase per budget check, for CI test-report views',
  fileName: 'junit.xml',
  async write(report, out) {
    await writeReportFile(junitReporter, out, gatesJUnit(report.gates));
  },
} satisfies Reporter<'junit'>;

function counts(budgets: BudgetResult[]): string {
  const failures = budgets.filter(isFailure).length;
  const skipped = budgets.filter((b) => b.level === 'off').length;
  return `tests="${budgets.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0"`;
}

function testsuite(report: GateReport, name: string): string[] {
  const properties = [
    ['suite', report.suite],
    ['status', report.status],
    ['candidate.runId', report.candidate.runId],
    ...(report.baseline ? [['baseline.runId', report.baseline.runId]] : []),
  ].map(([name, value]) => `      <property name="${attr(name!)}" value="${attr(value!)}"/>`);
  const warnings = report.warnings.map((w) => `${w.code} on ${w.deviceId} / ${w.variant} (${w.run} run): ${w.message} — remedy: ${w.remedy}`);
  return [
    `  <testsuite name="${attr(name)}" ${counts(report.budgets)}>`,
    '    <properties>',
    ...properties,
    '    </properties>',
    ...report.budgets.map(testcase),
    ...(warnings.length > 0 ? [`    <system-out>${text(warnings.join('\n'))}</system-out>`] : []),
    '  </testsuite>',
  ];
}

function testcase(budget: BudgetResult): string {
  const open = `    <testcase classname="${attr(`${budget.deviceId}.${budget.variant}`)}" name="${attr(`${budget.name} (${budget.metric})`)}" time="0"`;
  const actual = budget.actual === null ? 'not checked' : number(budget.actual);
  const details = [budget.message, `expected: ${budget.expected}`, `actual: ${actual}`, ...valueLines(budget)].join('\n');
  if (budget.level === 'off') return `${open}>\n      <skipped message="budget level is off"/>\n    </testcase>`;
  if (isFailure(budget)) {
    return `${open}>\n      <failure message="${attr(budget.message)}" type="budget">${text(details)}</failure>\n    </testcase>`;
  }
  if (!budget.passed) return `${open}>\n      <system-out>${text(`warn-level budget failed (not gating): ${details}`)}</system-out>\n    </testcase>`;
  return `${open}/>`;
}

const isFailure = (b: BudgetResult) => b.level === 'error' && !b.passed;

function valueLines(budget: BudgetResult): string[] {
  return Object.entries(budget.values).map(([key, value]) => `${key}: ${typeof value === 'number' ? number(value) : value}`);
}

const number = (value: number) => String(Number(value.toPrecision(6)));

/** Characters XML 1.0 does not allow at all, even escaped (controls, lone surrogates, U+FFFE/U+FFFF). */
const INVALID_XML = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function text(value: string): string {
  return value.replace(INVALID_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Attribute values also escape quotes, and line breaks and tabs, which attribute normalisation would turn into spaces. */
function attr(value: string): string {
  return text(value).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;');
}
