import type { Comparison, Verdict } from '../../../core/comparison.ts';
import { baseConfig, type ChartBuilder, type ChartView } from './chart.ts';

const VERDICT_COLORS: Record<Verdict, string> = {
  regressed: '#d62728',
  improved: '#2ca02c',
  unchanged: '#7f7f7f',
  noisy: '#ff9f1c',
  incomparable: '#bbbbbb',
  unavailable: '#444444',
};

/**
 * Relative change of each compared metric, with its 95% CI, coloured by
 * verdict: against the baseline run when there is one, and every variant
 * against the run's reference variant (int8 and int4 against fp32).
 */
export const deltaCharts: ChartBuilder = {
  section: 'deltas',
  missing: 'Nothing to compare: no baseline run (edgebench report --baseline, or run --ab) and a single variant.',
  build(report) {
    const views = [];
    const againstBaseline = rowsOf(report.gates.flatMap((g) => g.comparisons));
    if (againstBaseline.length) views.push(view('deltas', 'Change against the baseline', againstBaseline));
    for (const [i, variants] of (report.variantComparisons ?? []).entries()) {
      const rows = rowsOf(variants.comparisons);
      const suffix = report.variantComparisons!.length > 1 ? `-${i + 1}` : '';
      if (rows.length)
        views.push(view(`variants${suffix}`, `Each variant against ${variants.reference}${suffix ? ` (run ${report.runs[i]!.runId})` : ''}`, rows));
    }
    return views;
  },
};

function rowsOf(comparisons: Comparison[]) {
  return comparisons.flatMap((c) => {
    if (!c.delta || c.verdict === 'incomparable' || c.unit === 'share') return [];
    const worse = (x: number) => (c.higherIsBetter ? -x : x);
    const ci = c.delta.relativeCi95;
    return [
      {
        cell: `${c.deviceId} / ${c.variant}`,
        metric: c.metric,
        change: worse(c.delta.relative),
        lower: ci ? Math.min(worse(ci.lower), worse(ci.upper)) : worse(c.delta.relative),
        upper: ci ? Math.max(worse(ci.lower), worse(ci.upper)) : worse(c.delta.relative),
        verdict: c.verdict,
        rule: c.rule,
      },
    ];
  });
}

function view(id: string, title: string, rows: ReturnType<typeof rowsOf>): ChartView {
  const verdicts = Object.keys(VERDICT_COLORS);
  return {
    id,
    title,
    description:
      'Relative change of each metric, signed so that right is worse, with its 95% CI; the colour is the verdict. Hover for the rule that decided it.',
    spec: {
      ...baseConfig,
      data: { values: rows },
      // One panel per metric, one row per cell: a handful of panels however many cells there are.
      // Three panels a row: a run with many metrics wraps instead of overflowing the page.
      facet: { field: 'metric', type: 'nominal', title: null },
      columns: 3,
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 170,
        layer: [
          {
            mark: { type: 'rule' },
            encoding: {
              y: { field: 'cell', type: 'nominal', title: null },
              x: { field: 'lower', type: 'quantitative', title: 'change (right is worse)', axis: { format: '+.0%' } },
              x2: { field: 'upper' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              y: { field: 'cell', type: 'nominal' },
              x: { field: 'change', type: 'quantitative' },
              color: { field: 'verdict', type: 'nominal', scale: { domain: verdicts, range: verdicts.map((v) => VERDICT_COLORS[v as Verdict]) } },
              tooltip: [{ field: 'cell' }, { field: 'metric' }, { field: 'change', format: '+.1%' }, { field: 'verdict' }, { field: 'rule' }],
            },
          },
          { mark: { type: 'rule', color: '#444' }, encoding: { x: { datum: 0 } } },
        ],
      },
    },
  };
}
