import type { Comparison, GateReport } from '../../core/comparison.ts';
import { oneLine } from '../terminal-text.ts';
import type { Reporter } from './reporter.ts';

const formatValue = (value: number, unit: string) =>
  unit === 'bytes'
    ? `${(value / 1024 / 1024).toFixed(2)} MiB`
    : unit === 'share'
      ? `${(value * 100).toFixed(1)}%`
      : unit === 'ms'
        ? `${value.toFixed(3)} ms`
        : `${value.toFixed(1)} ${unit}`;

function change(c: Comparison): string {
  if (!c.delta) return '-';
  const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  if (c.unit === 'share') return `${c.delta.absolute >= 0 ? '+' : ''}${(c.delta.absolute * 100).toFixed(1)} pts`;
  return c.delta.relativeCi95 ? `${pct(c.delta.relative)} [${pct(c.delta.relativeCi95.lower)}, ${pct(c.delta.relativeCi95.upper)}]` : pct(c.delta.relative);
}

function table(header: string[], raw: string[][]): string[] {
  const rows = raw.map((cells) => cells.map(oneLine));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

/** The gate for a terminal: the verdict first, then budgets, comparisons that changed, and warnings. */
export function gateConsole(report: GateReport, options: { all?: boolean } = {}): string {
  const failed = report.budgets.filter((b) => !b.passed && b.level === 'error');
  const out: string[] = [
    report.status === 'pass'
      ? `PASS: ${report.budgets.length} budget check(s), none at level error failed`
      : `FAIL: ${failed.length} budget check(s) at level error failed`,
    ...(report.notes ?? []),
  ];
  if (report.budgets.length > 0) {
    out.push(
      '',
      ...table(
        ['', 'level', 'budget', 'device', 'variant', 'expected', 'actual'],
        report.budgets.map((b) => [b.passed ? 'ok' : 'FAIL', b.level, b.name, b.deviceId, b.variant, b.expected, b.message]),
      ),
    );
  }
  const shown = options.all ? report.comparisons : report.comparisons.filter((c) => c.verdict !== 'unchanged' && c.verdict !== 'unavailable');
  if (report.comparisons.length > 0) {
    out.push(
      '',
      `${shown.length} of ${report.comparisons.length} comparisons ${options.all ? '' : 'changed, noisy or incomparable (--all shows every one)'}`.trimEnd(),
    );
    if (shown.length > 0) {
      out.push(
        ...table(
          ['device', 'variant', 'metric', 'baseline', 'candidate', 'change [95% CI]', 'verdict', 'rule'],
          shown.map((c) => [
            c.deviceId,
            c.variant,
            c.estimated ? `${c.metric} (estimated: ${c.estimated})` : c.metric,
            c.baseline ? formatValue(c.baseline.value, c.unit) : '-',
            c.candidate ? formatValue(c.candidate.value, c.unit) : '-',
            change(c),
            c.verdict,
            c.rule,
          ]),
        ),
      );
    }
  }
  for (const w of report.warnings) out.push(`warning (${w.run} ${w.deviceId} / ${w.variant}): ${w.message}; ${w.remedy}`);
  // Every name in it comes from results files: each line stays one line, without control characters.
  return out.map(oneLine).join('\n');
}

/** The gate of each run on the terminal: PASS or FAIL first, then budgets, what changed and the warnings. */
export const verdictReporter = {
  name: 'verdict',
  description: 'the gate on the terminal: PASS or FAIL, each budget check, the comparisons that changed (all with --all) and the measurement warnings',
  async write(report, out) {
    // Several runs: each gate is headed by its run, as the console reporter heads its tables.
    const heading = (gate: GateReport) => (report.gates.length > 1 ? `${oneLine(`run ${gate.candidate.runId}:`)}\n` : '');
    out.print(report.gates.map((gate) => `${heading(gate)}${gateConsole(gate, { all: out.all })}`).join('\n\n'));
  },
} satisfies Reporter<'verdict'>;
