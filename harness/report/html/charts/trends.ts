import type { MetricName } from '../../../core/budget.ts';
import type { TrendSeries, Trends } from '../../../core/trends.ts';
import { baseConfig, CHART_WIDTH, type ChartBuilder, type ChartView } from './chart.ts';
import { MiB, rounded } from './cells.ts';

/** Runs drawn, the most recent: enough to see a step and its surroundings, small at forty lines. */
const MAX_RUNS_DRAWN = 50;
/** Lines per metric; series with a change point are kept first. */
const MAX_LINES = 40;
/** Above this many points in a panel, lines are drawn without point symbols: thousands of symbols slow the page and hide the lines. */
const MAX_POINT_SYMBOLS = 400;
/** Points of a line closer than this share of its panel's value range to the line drawn without them are left out (under a pixel at the panel's height). */
const THIN_TOLERANCE = 0.0025;
/** Change points named in the tooltip of one run's rule; the rest are counted. */
const MAX_STEP_TOOLTIP = 5;
/** Change points listed above the charts; the rest are counted. */
const MAX_NOTES = 20;
/** Commits are shown by their first characters, as git does. */
const SHORT_COMMIT = 12;

const UNIT_TITLES: Record<TrendSeries['unit'], string> = { ms: 'ms', bytes: 'MiB', share: '%', 'tokens/s': 'tokens/s', mJ: 'mJ', W: 'W', nats: 'nats' };

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
    return report.trends?.series.length ? [trendView(report.trends)] : [];
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
  if (steps.length === 0)
    notes.push(
      `No change points: no metric of the ${trends.series.length} series moved by ${(trends.minRelativeChange * 100).toFixed(0)}% or more at a significant split.`,
    );

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

/**
 * One chart, a panel per metric: the panels share the run axis, so a step
 * lines up across metrics, and one legend names the lines of all of them.
 */
function trendView(trends: Trends): ChartView {
  const byMetric = new Map<MetricName, TrendSeries[]>();
  for (const s of trends.series) byMetric.set(s.metric, [...(byMetric.get(s.metric) ?? []), s]);
  // Series with a change point are drawn first when there are more than fit.
  const drawn = [...byMetric.values()].flatMap((all) =>
    [...all].sort((a, b) => Number(b.changePoints.length > 0) - Number(a.changePoints.length > 0)).slice(0, MAX_LINES),
  );
  const allRuns = runOrder(trends.series);
  const runs = allRuns.slice(-MAX_RUNS_DRAWN);
  const indexOf = new Map(runs.map((r, i) => [r.runId, i + 1]));
  const panelOf = (s: TrendSeries) => `${s.metric} (${UNIT_TITLES[s.unit]})`;
  // Shares in percent, bytes in MiB: one axis format for every panel.
  const scale = (s: TrendSeries, value: number) => rounded(s.unit === 'bytes' ? value / MiB : s.unit === 'share' ? value * 100 : value);

  const names = new Map<TrendSeries, string>();
  for (const group of byMetric.values()) {
    const taken = new Set<string>();
    for (const s of group) {
      // Two series of one device / variant (another suite or hardware in a multi-run report) must not join into one line.
      let name = lineName(s);
      for (let k = 2; taken.has(name); k++) name = `${lineName(s)} (${k})`;
      taken.add(name);
      names.set(s, name);
    }
  }
  const panels = [...new Set(drawn.map(panelOf))];
  const pointsIn = (panel: string) => drawn.filter((s) => panelOf(s) === panel).reduce((n, s) => n + s.points.filter((p) => indexOf.has(p.runId)).length, 0);
  const symbols = new Map(panels.map((panel) => [panel, pointsIn(panel) <= MAX_POINT_SYMBOLS]));
  const tolerance = new Map(
    panels.map((panel) => {
      const values = drawn.filter((s) => panelOf(s) === panel).flatMap((s) => s.points.map((p) => scale(s, p.value)));
      return [panel, THIN_TOLERANCE * (Math.max(...values) - Math.min(...values))];
    }),
  );
  const rows: Record<string, unknown>[] = drawn.flatMap((s) => {
    const points = s.points.filter((p) => indexOf.has(p.runId));
    const values = points.map((p) => scale(s, p.value));
    // Where each point is drawn as a symbol with its own tooltip, every point stays.
    const kept = symbols.get(panelOf(s)) ? values.map((_, i) => i) : thinFlat(values, tolerance.get(panelOf(s))!);
    const line = {
      kind: 'line',
      panel: panelOf(s),
      line: names.get(s)!,
      run: kept.map((i) => indexOf.get(points[i]!.runId)!),
      value: kept.map((i) => values[i]!),
    };
    const current = points
      .filter((p) => p.notInHistory)
      .map((p) => ({ kind: 'current', panel: panelOf(s), line: names.get(s)!, run: [indexOf.get(p.runId)!], value: [scale(s, p.value)] }));
    return [line, ...current];
  });
  for (const panel of panels)
    rows.push(
      ...stepRows(
        drawn.filter((s) => panelOf(s) === panel),
        indexOf,
      ).map((row) => ({ ...row, panel })),
    );
  // An invisible column per run and panel tells the commit, branch and date of the run under the pointer, wherever the pointer is on the line (a line drawn without symbols has no tooltip per point).
  for (const panel of panels)
    rows.push(
      ...runs.map((r, i) => ({
        kind: 'run',
        panel,
        run: [i + 1],
        value: [null],
        runId: r.runId,
        commit: r.commit?.slice(0, SHORT_COMMIT) ?? '',
        branch: r.branch ?? '',
        date: r.startedAt.slice(0, 16).replace('T', ' '),
      })),
    );

  const x = {
    field: 'run',
    type: 'quantitative' as const,
    title: 'run, oldest to newest (hover for its commit)',
    axis: { tickMinStep: 1, format: 'd' },
    scale: { domain: [1, Math.max(runs.length, 2)], nice: false },
  };
  const y = { field: 'value', type: 'quantitative' as const, title: null, scale: { zero: false }, axis: { format: '~r' } };
  const color = { field: 'line', type: 'nominal' as const, title: 'device / variant', legend: { symbolLimit: MAX_LINES, labelLimit: 240 } };
  const tooltip = [{ field: 'line', title: 'device / variant' }, { field: 'panel', title: 'metric' }, { field: 'value' }, { field: 'run', title: 'run #' }];
  const linesLeft = [...byMetric].filter(([, all]) => all.length > MAX_LINES).map(([metric, all]) => `${metric} ${MAX_LINES} of ${all.length}`);
  const left = [
    linesLeft.length ? `lines with a change point first, at most ${MAX_LINES} per metric (${linesLeft.join(', ')})` : '',
    allRuns.length > runs.length ? `the last ${runs.length} of ${allRuns.length} runs` : '',
  ].filter(Boolean);

  return {
    id: 'trends',
    title: 'Each metric over the history',
    description: `One panel per metric (shares in percent), one line per device / variant, runs in the order they started; a dashed rule marks the run where E-divisive found a change point in one or more lines, labelled with the change and the commit of that run (hover for each); a diamond is a run of this report not yet in the history.${left.length ? ` Shown: ${left.join('; ')}.` : ''}`,
    spec: {
      ...baseConfig,
      data: { values: rows },
      // Every row holds its runs and values as arrays (a step's or a run's value is empty): one flatten serves all layers.
      transform: [{ flatten: ['run', 'value'] }],
      facet: {
        row: {
          field: 'panel',
          type: 'nominal',
          title: null,
          sort: panels,
          header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' },
        },
      },
      resolve: { scale: { y: 'independent' } },
      spec: {
        width: CHART_WIDTH,
        height: 150,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'run'" }, { calculate: 'datum.run - 0.5', as: 'from' }, { calculate: 'datum.run + 0.5', as: 'to' }],
            mark: { type: 'rect', color: '#000', opacity: 0 },
            encoding: {
              x: { ...x, field: 'from' },
              x2: { field: 'to' },
              tooltip: [{ field: 'run', title: 'run #' }, { field: 'commit' }, { field: 'branch' }, { field: 'runId', title: 'run' }, { field: 'date' }],
            },
          },
          {
            transform: [{ filter: "datum.kind === 'line'" }],
            mark: { type: 'line', strokeWidth: 1.5, point: [...symbols.values()].every(Boolean) ? { size: 18 } : false },
            encoding: { x, y, color, tooltip },
          },
          {
            transform: [{ filter: "datum.kind === 'step'" }],
            mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5, color: '#555' },
            encoding: { x, tooltip: [{ field: 'description', title: 'change points' }] },
          },
          {
            transform: [{ filter: "datum.kind === 'step'" }],
            mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, fontSize: 10, color: '#333' },
            encoding: { x, y: { field: 'labelY', type: 'quantitative', scale: null }, text: { field: 'label' } },
          },
          {
            transform: [{ filter: "datum.kind === 'current'" }],
            mark: { type: 'point', shape: 'diamond', filled: true, size: 90, stroke: '#222', strokeWidth: 1 },
            encoding: { x, y, color, tooltip },
          },
        ],
      },
    },
  };
}

/**
 * One rule per run where any drawn line stepped, not one per line: forty
 * series that stepped at the same commit are one finding, and forty labels
 * would print over each other.
 */
function stepRows(series: TrendSeries[], indexOf: Map<string, number>): Record<string, unknown>[] {
  const atRun = new Map<number, { commit?: string; changes: number[]; descriptions: string[] }>();
  for (const s of series) {
    for (const c of s.changePoints) {
      const run = indexOf.get(c.runId);
      if (run === undefined) continue;
      const entry = atRun.get(run) ?? { ...(c.commit ? { commit: c.commit } : {}), changes: [], descriptions: [] };
      entry.changes.push(c.relativeChange);
      entry.descriptions.push(c.description);
      atRun.set(run, entry);
    }
  }
  const percent = (x: number) => `${x > 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
  return [...atRun]
    .sort(([a], [b]) => a - b)
    .map(([run, { commit, changes, descriptions }], i) => {
      const [low, high] = [percent(Math.min(...changes)), percent(Math.max(...changes))];
      const range = low === high ? low : `${low} to ${high}`;
      const shown =
        descriptions.slice(0, MAX_STEP_TOOLTIP).join('; ') +
        (descriptions.length > MAX_STEP_TOOLTIP ? `; and ${descriptions.length - MAX_STEP_TOOLTIP} more` : '');
      // Labels of steps at nearby runs would overprint: each goes one row lower than the last.
      return {
        kind: 'step',
        run: [run],
        value: [null],
        labelY: 2 + 12 * (i % 5),
        label: `${range}${commit ? ` at ${commit.slice(0, SHORT_COMMIT)}` : ''}${changes.length > 1 ? ` (${changes.length} lines)` : ''}`,
        description: shown,
      };
    });
}

/**
 * The points of a line worth drawing: inside a flat stretch (every value within
 * `tolerance` of the last kept one, and the next too) a point changes nothing
 * the eye can see, so it is left out and vega draws fewer items; the line stays
 * within twice the tolerance of every point. The first and last points stay.
 */
export function thinFlat(values: readonly number[], tolerance: number): number[] {
  const kept = [0];
  for (let i = 1; i < values.length - 1; i++) {
    const anchor = values[kept.at(-1)!]!;
    if (Math.abs(values[i]! - anchor) > tolerance || Math.abs(values[i + 1]! - anchor) > tolerance) kept.push(i);
  }
  if (values.length > 1) kept.push(values.length - 1);
  return kept;
}

/** Every run of the series in start order, once. */
function runOrder(series: TrendSeries[]): TrendSeries['points'] {
  const byId = new Map<string, TrendSeries['points'][number]>();
  for (const s of series) for (const p of s.points) if (!byId.has(p.runId)) byId.set(p.runId, p);
  return [...byId.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt) || a.runId.localeCompare(b.runId));
}
