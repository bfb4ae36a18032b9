import type { BudgetResult, GateReport, MeasurementWarning } from '../../core/comparison.ts';
import { oneLine } from '../terminal-text.ts';
import type { Reporter } from './reporter.ts';

/**
 * GitHub Actions workflow commands, one line each: an error annotation per
 * failed error-level budget, a warning per failed warn-level budget and per
 * measurement warning. The caller prints them to stdout.
 */
export function gateAnnotations(report: GateReport): string[] {
  const failed = report.budgets.filter((b) => !b.passed);
  return [
    ...failed.filter((b) => b.level === 'error').map((b) => command('error', budgetTitle(b), budgetMessage(b))),
    ...failed.filter((b) => b.level === 'warn').map((b) => command('warning', budgetTitle(b), budgetMessage(b))),
    ...report.warnings.map((w) => command('warning', warningTitle(w), `${w.message} — remedy: ${w.remedy}`)),
  ];
}

/** The annotations of every gate, as workflow commands on stdout, which the GitHub Actions runner reads. */
export const githubReporter = {
  name: 'github',
  description: 'GitHub Actions annotations: ::error per failed error-level budget, ::warning per failed warn-level budget and measurement warning',
  async write(report, out) {
    for (const line of report.gates.flatMap(gateAnnotations)) out.workflowCommand(line);
  },
} satisfies Reporter<'github'>;

const budgetTitle = (b: BudgetResult) => `edgebench budget ${b.name} failed on ${b.deviceId} / ${b.variant}`;
function budgetMessage(b: BudgetResult): string {
  const actual = b.actual === null ? 'not checked' : String(Number(b.actual.toPrecision(6)));
  return `${b.message} (${b.metric}: expected ${b.expected}, actual ${actual})`;
}
const warningTitle = (w: MeasurementWarning) => `edgebench ${w.code} on ${w.deviceId} / ${w.variant} (${w.run} run)`;

/** Escaped the GitHub way first (% \r \n), then every other control character as in oneLine: a name cannot end the command or reach the log raw. */
function command(kind: 'error' | 'warning', title: string, message: string): string {
  return `::${kind} title=${oneLine(escapeProperty(title))}::${oneLine(escapeData(message))}`;
}

/** The escaping of @actions/core's toCommandValue/escapeData: % first, so an escape in the data is not decoded later. */
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Property values also end at ":" and ",", so those are escaped too (@actions/core's escapeProperty). */
function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
