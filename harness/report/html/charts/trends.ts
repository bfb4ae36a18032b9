import type { MetricName } from '../../../config/budget.ts';
import type { TrendSeries, Trends } from '../../../history/report-trends.ts';
import { baseConfig, CHART_WIDTH, type ChartBuilder, type ChartView } from './chart.ts';
import { MiB, rounded } from './cells.ts';

/** Runs drawn per metric, the most recent: enough to see a step and its surroundings, small at forty lines. */
const MAX_RUNS_DRAWN = 50;
/** Lines per metric chart; series with a change point are kept first. */
const MAX_LINES = 40;
/** Above this many points in a chart, lines are drawn without point symbols: thousands of symbols slow the page and hide the lines. */
const MAX_POINT_SYMBOLS = 400;
/** Change points listed above the charts; the rest are counted. */
const MAX_NOTES = 20;
/** Commits are shown by their first characters, as git does. */
const SHORT_COMMIT = 12;

const UNIT_TITLES: Record<TrendSeries['unit'], string> = { ms: 'ms', bytes: 'MiB', share: 'share', 'tokens/s': 'tokens/s' };

/**
 * Each metric over the runs of the stored history that this report's cells
 * continue: one line per device / variant, the change points E-divisive found
 * marked by a dashed rule and labelled with the change and the commit, and a
 * run not yet stored marked by a diamond.
 */
export const trendCharts: ChartBuilder = {
  section: 'trends',
  missing: (report) =>
    report.trends
      ? `No measured cell of this report continues a series of ${report.trends.historyFile}: there is no trend to draw.`
      : 'No history given: pass --history <file> (a file written by edgebench history add) to edgebench report or edgebench run to draw each metric over past commits, with the steps E-divisive finds.',
  build(report) {
    const trends = report.trends;
    if (!trends) return [];
    const byMetric = new Map<MetricName, TrendSeries[]>();
    for (const series of trends.series) byMetric.set(series.metric, [...(byMetric.get(series.metric) ?? []), series]);
    return [...byMetric].map(([metric, series]) => metricView(metric, series));
  },
  notes(report) {
    return report.trends ? notesOf(report.trends) : [];
  },
};

function notesOf(trends: Trends): string[] {
  const steps = trends.series.flatMap((s) => s.changePoints.map((c) => ({ c, s })));
  // Regressions first: they are what a reader acts on.
  steps.sort((a, b) => Number(b.c.worse) - Number(a.c.worse));
  const notes = steps.slice(0, MAX_NOTES).map(({ c }) => `${c.description}${c.branch ? ` on ${c.branch}` : ''} (permutation p ${c.pValue.toFixed(3)})`);
  if (steps.length > MAX_NOTES) notes.push(`... and ${steps.length - MAX_NOTES} more change points (edgebench history show --metric <name> lists them all).`);
  if (steps.length === 0) notes.push(`No change points: no metric of the ${trends.series.length} series moved by ${(trends.minRelativeChange * 100).toFixed(0)}% or more at a significant split.`);

  // Too few runs for a change point: said once per device / variant, naming the metrics only when not all are short.
  const metricsOf = new Map<string, number>();
  const short = new Map<string, Map<number, MetricName[]>>();
  for (const s of trends.series) {
    metricsOf.set(lineName(s), (metricsOf.get(lineName(s)) ?? 0) + 1);
    const runs = s.points.length + s.olderRunsLeftOut;
    if (runs >= trends.minPointsForChangePoints) continue;
    const byRuns = short.get(lineName(s)) ?? new Map<number, MetricName[]>();
    byRuns.set(runs, [...(byRuns.get(runs) ?? []), s.metric]);
    short.set(lineName(s), byRuns);
  }
  const shortText = [...short].map(([name, byRuns]) => {
    const all = byRuns.size === 1 && [...byRuns.values()][0]!.length === metricsOf.get(name);
    return `${name} has ${[...byRuns].map(([runs, metrics]) => `${runs} run${runs === 1 ? '' : 's'}${all ? '' : ` of ${metrics.join(', ')}`}`).join(' and ')}`;
  });
  if (shortText.length) notes.push(`Too few runs to find a change point (at least ${trends.minPointsForChangePoints} are needed): ${shortText.join('; ')}.`);

  const unstored = [...new Set(trends.series.flatMap((s) => s.points.filter((p) => p.notInHistory).map((p) => p.runId)))];
  if (unstored.length) notes.push(`Not in ${trends.historyFile} yet, drawn as a diamond: run ${unstored.join(', ')} (edgebench history add stores it).`);
  return notes;
}

const lineName = (s: TrendSeries) => `${s.device} / ${s.variant}`;

function metricView(metric: MetricName, all: TrendSeries[]): ChartView {
  // Series with a change point are drawn first when there are more than fit.
  const series = [...all].sort((a, b) => Number(b.changePoints.length > 0) - Number(a.changePoints.length > 0)).slice(0, MAX_LINES);
  const allRuns = runOrder(all);
  const runs = allRuns.slice(-MAX_RUNS_DRAWN);
  const indexOf = new Map(runs.map((r, i) => [r.runId, i + 1]));
  const unit = series[0]!.unit;
  const scale = (value: number) => rounded(unit === 'bytes' ? value / MiB : value);

  const names = new Map<TrendSeries, string>();
  for (const s of series) {
    // Two series of one device / variant (another suite or hardware in a multi-run report) must not join into one line.
    const base = lineName(s);
    let name = base;
    for (let k = 2; [...names.values()].includes(name); k++) name = `${base} (${k})`;
    names.set(s, name);
  }
  const rows = series.flatMap((s) => {
    const drawn = s.points.filter((p) => indexOf.has(p.runId));
    const line = { kind: 'line', line: names.get(s)!, run: drawn.map((p) => indexOf.get(p.runId)!), value: drawn.map((p) => scale(p.value)) };
    const current = drawn.filter((p) => p.notInHistory).map((p) => ({ kind: 'current', line: names.get(s)!, run: indexOf.get(p.runId)!, value: scale(p.value) }));
    const steps = s.changePoints.filter((c) => indexOf.has(c.runId)).map((c) => ({ kind: 'step', line: names.get(s)!, run: indexOf.get(c.runId)!, label: `${c.relativeChange > 0 ? '+' : ''}${(c.relativeChange * 100).toFixed(1)}%${c.commit ? ` at ${c.commit.slice(0, SHORT_COMMIT)}` : ''}`, description: c.description }));
    return [line, ...current, ...steps];
  });
  // Labels of steps at nearby runs would overprint: each goes one row lower than the last.
  let labelRow = 0;
  for (const row of rows) if (row.kind === 'step') Object.assign(row, { labelY: 2 + 12 * (labelRow++ % 5) });
  const runTable = runs.map((r, i) => ({ run: i + 1, runId: r.runId, commit: r.commit?.slice(0, SHORT_COMMIT) ?? '', branch: r.branch ?? '', date: r.startedAt.slice(0, 19).replace('T', ' ') }));

  const pointCount = series.reduce((n, s) => n + s.points.length, 0);
  const x = { field: 'run', type: 'quantitative' as const, title: 'run, oldest to newest (hover for its commit)', axis: { tickMinStep: 1, format: 'd' }, scale: { domain: [1, Math.max(runs.length, 2)], nice: false } };
  const y = { field: 'value', type: 'quantitative' as const, title: `${metric} (${UNIT_TITLES[unit]})`, scale: { zero: false }, axis: { format: unit === 'share' ? '.1%' : '~g' } };
  const color = { field: 'line', type: 'nominal' as const, title: 'device / variant', legend: { symbolLimit: MAX_LINES, labelLimit: 240 } };
  const lookup = { lookup: 'run', from: { data: { values: runTable }, key: 'run', fields: ['runId', 'commit', 'branch', 'date'] } };
  const tooltip = [{ field: 'line', title: 'device / variant' }, { field: 'value', title: metric }, { field: 'commit' }, { field: 'branch' }, { field: 'runId', title: 'run' }, { field: 'date' }];
  const left = [
    all.length > series.length ? `${series.length} of ${all.length} series drawn (those with a change point first)` : '',
    allRuns.length > runs.length ? `the last ${runs.length} of ${allRuns.length} runs` : '',
  ].filter(Boolean);

  return {
    id: `trend-${metric.replace(/[^A-Za-z0-9]+/g, '-')}`,
    title: `${metric} over the history`,
    description: `One line per device / variant, runs in the order they started; a dashed rule marks a change point E-divisive found, labelled with the change and the first commit after it; a diamond is a run of this report not yet in the history.${left.length ? ` Shown: ${left.join('; ')}.` : ''}`,
    spec: {
      ...baseConfig,
      width: CHART_WIDTH,
      height: 220,
      data: { values: rows },
      layer: [
        {
          transform: [{ filter: "datum.kind === 'line'" }, { flatten: ['run', 'value'] }, lookup],
          mark: { type: 'line', strokeWidth: 1.5, point: pointCount <= MAX_POINT_SYMBOLS ? { size: 18 } : false },
          encoding: { x, y, color, tooltip },
        },
        {
          transform: [{ filter: "datum.kind === 'step'" }],
          mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5 },
          encoding: { x, color, tooltip: [{ field: 'description', title: 'change point' }] },
        },
        {
          transform: [{ filter: "datum.kind === 'step'" }],
          mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 10 },
          encoding: { x, y: { field: 'labelY', type: 'quantitative', scale: null }, text: { field: 'label' }, color },
        },
        {
          transform: [{ filter: "datum.kind === 'current'" }, lookup],
          mark: { type: 'point', shape: 'diamond', filled: true, size: 90, stroke: '#222', strokeWidth: 1 },
          encoding: { x, y, color, tooltip },
        },
      ],
    },
  };
}

/** Every run of the series in start order, once. */
function runOrder(series: TrendSeries[]): TrendSeries['points'] {
  const byId = new Map<string, TrendSeries['points'][number]>();
  for (const s of series) for (const p of s.points) if (!byId.has(p.runId)) byId.set(p.runId, p);
  return [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
}
