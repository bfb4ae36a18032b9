import type { BudgetResult, Comparison, GateReport, MeasurementWarning, Verdict } from '../../core/comparison.ts';
import type { Report } from '../../core/report.ts';
import type { Reporter } from './reporter.ts';
import { writeReportFile } from './report-file.ts';

const MiB = 1024 * 1024;
/** How many failed budgets the headline names before it says "and N more". */
const HEADLINE_NAMES = 3;

const VERDICT_LABEL: Record<Verdict, string> = {
  regressed: '🔴 regressed',
  improved: '🟢 improved',
  unchanged: 'unchanged',
  noisy: '🟡 noisy',
  incomparable: '⚪ incomparable',
  unavailable: '⚫ unavailable',
};
/** Changes table order: what needs a human first. */
const VERDICT_ORDER: Verdict[] = ['regressed', 'incomparable', 'unavailable', 'noisy', 'improved', 'unchanged'];

/**
 * The gate's verdict as GitHub-flavoured Markdown, for $GITHUB_STEP_SUMMARY
 * and pull-request comments: the headline first, then what failed, what
 * changed, every comparison (collapsed) and the measurement warnings.
 */
export function gateMarkdown(report: GateReport): string {
  const units = unitsByMetric(report.comparisons);
  const sections = [
    headline(report),
    overview(report),
    budgetSection(report.budgets, units),
    changesSection(report.comparisons),
    allComparisonsSection(report.comparisons),
    warningsSection(report.warnings),
  ];
  return `${sections.filter((s) => s !== '').join('\n\n')}\n`;
}

/** Every gate of a report, one after the other (report draws several runs, compare one). */
export function reportMarkdown(report: Report): string {
  return report.gates.map(gateMarkdown).join('\n');
}

/** The gate as GitHub-flavoured Markdown in a file (summary.md), for pull-request comments. */
export const markdownReporter = {
  name: 'markdown',
  description: 'the gate as GitHub-flavoured Markdown: headline, failed budgets, changes, every comparison (collapsed), warnings',
  fileName: 'summary.md',
  async write(report, out) {
    await writeReportFile(markdownReporter, out, reportMarkdown(report));
  },
} satisfies Reporter<'markdown'>;

function headline(report: GateReport): string {
  const failedErrors = report.budgets.filter((b) => b.level === 'error' && !b.passed);
  const failedWarns = report.budgets.filter((b) => b.level === 'warn' && !b.passed);
  if (report.status === 'fail') {
    if (failedErrors.length === 0) return '## ❌ edgebench gate: FAIL';
    const named = failedErrors.slice(0, HEADLINE_NAMES).map((b) => `**${md(b.name)}** (${md(b.metric)} on ${md(b.deviceId)} / ${md(b.variant)})`);
    const more = failedErrors.length > HEADLINE_NAMES ? ` and ${failedErrors.length - HEADLINE_NAMES} more` : '';
    return `## ❌ edgebench gate: FAIL — ${plural(failedErrors.length, 'error-level budget')} failed: ${named.join(', ')}${more}`;
  }
  const warned = failedWarns.length > 0 ? ` (${plural(failedWarns.length, 'warn-level budget')} failed)` : '';
  return `## ✅ edgebench gate: PASS — no error-level budget failed${warned}`;
}

function overview(report: GateReport): string {
  const runs = report.baseline
    ? `candidate run ${md(report.candidate.runId)} against baseline run ${md(report.baseline.runId)}`
    : `candidate run ${md(report.candidate.runId)}, no baseline run`;
  const counts = VERDICT_ORDER.map((v) => [v, report.comparisons.filter((c) => c.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${v}`);
  const comparisons = report.comparisons.length > 0 ? ` ${plural(report.comparisons.length, 'comparison')}: ${counts.join(', ')}.` : '';
  const notes = (report.notes ?? []).map((note) => `- ${md(note)}`).join('\n');
  return `Suite **${md(report.suite)}**: ${runs}.${comparisons}${notes ? `\n\n${notes}` : ''}`;
}

function budgetSection(budgets: BudgetResult[], units: Map<string, string>): string {
  const failed = budgets.filter((b) => !b.passed && b.level !== 'off').sort((a, b) => levelRank(a) - levelRank(b));
  const checked = budgets.filter((b) => b.level !== 'off').length;
  if (checked === 0) return '';
  if (failed.length === 0) return `### Budgets\n\nAll ${plural(checked, 'budget')} passed.`;
  const rows = failed.map((b) => [
    b.level === 'error' ? '❌ error' : '⚠️ warn',
    md(b.name),
    md(b.deviceId),
    md(b.variant),
    md(b.metric),
    md(b.expected),
    b.actual === null ? 'not checked' : formatValue(b.actual, budgetUnit(b, units)),
    md(b.message),
  ]);
  const passed = checked - failed.length;
  return `### Budgets\n\n${table(['level', 'budget', 'device', 'variant', 'metric', 'expected', 'actual', 'message'], rows)}\n\n${plural(passed, 'other budget')} passed.`;
}

function changesSection(comparisons: Comparison[]): string {
  // An unavailable energy figure is not a change: it is listed with every comparison, and counted in the overview.
  const changed = comparisons
    .filter((c) => c.verdict !== 'unchanged' && c.verdict !== 'unavailable')
    .sort((a, b) => VERDICT_ORDER.indexOf(a.verdict) - VERDICT_ORDER.indexOf(b.verdict));
  if (comparisons.length === 0) return '';
  if (changed.length === 0) return '### Changes\n\nNo metric changed beyond its noise.';
  return `### Changes\n\n${table(COMPARISON_HEADER, changed.map(comparisonRow))}`;
}

function allComparisonsSection(comparisons: Comparison[]): string {
  if (comparisons.length === 0) return '';
  const rows = comparisons.map((c) => [...comparisonRow(c), pValue(c.pValue), pValue(c.adjustedPValue)]);
  return [
    '<details>',
    `<summary>All ${plural(comparisons.length, 'comparison')}</summary>`,
    '',
    table([...COMPARISON_HEADER, 'p', 'p (Holm)'], rows),
    '',
    '</details>',
  ].join('\n');
}

function warningsSection(warnings: MeasurementWarning[]): string {
  if (warnings.length === 0) return '';
  const items = warnings.map((w) => `- **${md(w.code)}** on ${md(w.deviceId)} / ${md(w.variant)} (${w.run} run): ${md(w.message)} — remedy: ${md(w.remedy)}`);
  return `### Measurement warnings\n\n${items.join('\n')}`;
}

const COMPARISON_HEADER = ['device', 'variant', 'metric', 'baseline', 'candidate', 'change (95% CI)', 'verdict', 'rule'];

function comparisonRow(c: Comparison): string[] {
  return [
    md(c.deviceId),
    md(c.variant),
    c.estimated ? `${md(c.metric)} (estimated: ${md(c.estimated)})` : md(c.metric),
    c.baseline ? formatValue(c.baseline.value, c.unit) : '—',
    c.candidate ? formatValue(c.candidate.value, c.unit) : '—',
    change(c),
    VERDICT_LABEL[c.verdict],
    md(c.rule),
  ];
}

function change(c: Comparison): string {
  if (!c.delta) return '—';
  const ci = c.delta.relativeCi95 ? ` [${signedPercent(c.delta.relativeCi95.lower)}, ${signedPercent(c.delta.relativeCi95.upper)}]` : '';
  return `${signedPercent(c.delta.relative)}${ci}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Metric name -> unit, from the comparisons; budgets carry no unit of their own. */
function unitsByMetric(comparisons: Comparison[]): Map<string, string> {
  return new Map(comparisons.map((c) => [c.metric, c.unit]));
}

function budgetUnit(budget: BudgetResult, units: Map<string, string>): string | undefined {
  const declared = budget.values['unit'];
  return typeof declared === 'string' ? declared : units.get(budget.metric);
}

const levelRank = (b: BudgetResult) => (b.level === 'error' ? 0 : 1);
const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;
const pValue = (p: number | undefined) => (p === undefined ? '—' : p < 0.001 ? '&lt;0.001' : p.toFixed(3));
const signedPercent = (share: number) => `${share > 0 ? '+' : share < 0 ? '−' : '±'}${significant(Math.abs(share) * 100)}%`;

/** A value in its unit for people: ms and other units to 3 significant digits, bytes as MiB, ratios as %. */
function formatValue(value: number, unit: string | undefined): string {
  switch (unit) {
    case 'ms':
      return `${significant(value)} ms`;
    case 'bytes':
      return `${significant(value / MiB)} MiB`;
    case 'ratio':
      return `${significant(value * 100)}%`;
    case 'joules':
      return `${significant(value)} J`;
    case 'celsius':
      return `${significant(value)} °C`;
    case 'mJ':
    case 'millijoules':
      return `${significant(value)} mJ`;
    case 'W':
    case 'watts':
      return `${significant(value)} W`;
    case undefined:
      return significant(value);
    default:
      return `${significant(value)} ${md(unit)}`;
  }
}

/** 3 significant digits without exponent notation: 1234, 12.3, 0.0123. */
function significant(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const decimals = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return value.toFixed(Math.min(decimals, 20));
}

/**
 * Text from the report as inert Markdown inside a table cell or a list item:
 * HTML-significant characters become entities, Markdown punctuation is
 * backslash-escaped (the backslash itself first, so data cannot un-escape a
 * pipe) and line breaks become spaces so a cell cannot end its row.
 */
function md(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/`/g, '&#96;')
    .replace(/\\/g, '\\\\')
    .replace(/[|*_[\]~]/g, (c) => `\\${c}`)
    .replace(/\r\n?|\n/g, ' ');
}
