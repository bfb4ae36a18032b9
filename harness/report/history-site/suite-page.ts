import type { TopLevelSpec } from 'vega-lite';
import { METRICS } from '../../compare/metrics.ts';
import { METRIC_NAMES, type FixedMetricName } from '../../core/budget.ts';
import type { HistoryEntry } from '../../history/store.ts';
import { seriesOf, stepsIn, type Step } from '../../history/trends.ts';
import { baseConfig } from '../html/charts/chart.ts';
import { escapeHtml as h, jsonForScript } from '../html/escape.ts';

/** Commits are shown by their first characters, as git does. */
const SHORT_COMMIT = 12;
/** E-divisive needs this many runs on either side of a change. */
const MIN_SEGMENT = 3;

export interface SuitePageOptions {
  /** The most recent runs drawn. */
  lastRuns: number;
  /** Steps smaller than this share are not marked. */
  minRelativeChange: number;
  /** Where each run's report is, when known (a relative or http(s) address). */
  reportOf(runId: string): string | undefined;
  /** The site's index, for the link back. */
  indexHref: string;
}

export interface SuitePage {
  html: string;
  steps: Step[];
  /** Steps where the metric moved the wrong way (slower, bigger, less accurate). */
  worse: number;
  runs: number;
}

interface RunRow {
  index: number;
  runId: string;
  startedAt: string;
  commit?: string;
  branch?: string;
}

/**
 * One suite's page: each metric's series per device x variant over the last runs, oldest to newest, a panel per
 * device with its own value axis, the change points E-divisive found marked by dashed rules and listed (what got
 * worse first), and a table of the runs with their commit, branch and a link to each run's report.
 */
export function suitePage(suite: string, entries: HistoryEntry[], options: SuitePageOptions): SuitePage {
  const ordered = [...entries].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const runIds = [...new Set(ordered.map((e) => e.runId))].slice(-options.lastRuns);
  const kept = new Set(runIds);
  const recent = ordered.filter((e) => kept.has(e.runId));
  const runs: RunRow[] = runIds.map((runId, i) => {
    const e = recent.find((x) => x.runId === runId)!;
    return { index: i + 1, runId, startedAt: e.startedAt, ...(e.commit ? { commit: e.commit } : {}), ...(e.branch ? { branch: e.branch } : {}) };
  });
  const indexOf = new Map(runs.map((r) => [r.runId, r.index]));

  const charts: { id: string; metric: FixedMetricName; spec: TopLevelSpec }[] = [];
  const steps: Step[] = [];
  for (const metric of METRIC_NAMES) {
    const series = seriesOf(recent, metric);
    if (series.length === 0) continue;
    const found = stepsIn(series, { minRelativeChange: options.minRelativeChange, minSegment: MIN_SEGMENT });
    steps.push(...found);
    charts.push({ id: `metric-${charts.length + 1}`, metric, spec: metricSpec(metric, series, found, indexOf, runs) });
  }
  const worse = (s: Step) => (METRICS[s.series.metric].higherIsBetter ? s.relativeChange < 0 : s.relativeChange > 0);
  steps.sort((a, b) => Number(worse(b)) - Number(worse(a)));

  const stepList = steps.length
    ? `<ul class="steps">${steps.map((s) => `<li class="${worse(s) ? 'worse' : 'better'}">${h(s.summary)}${s.at.branch ? h(` on ${s.at.branch}`) : ''} (permutation p ${s.pValue.toFixed(3)})</li>`).join('')}</ul>`
    : `<p>No change points: no series moved by ${(options.minRelativeChange * 100).toFixed(0)}% or more at a significant split (at least ${2 * MIN_SEGMENT} runs are needed to find one).</p>`;
  const figures = charts
    .map(
      (c) =>
        `<section class="metric"><h2>${h(c.metric)} (${h(unitTitle(METRICS[c.metric].unit))})</h2><div class="chart" id="chart-${c.id}" data-chart="${c.id}"></div></section>`,
    )
    .join('');
  const runRows = [...runs]
    .reverse()
    .map((r) => {
      const href = options.reportOf(r.runId);
      return `<tr><td>${r.index}</td><td>${h(r.startedAt.slice(0, 16).replace('T', ' '))}</td><td><code>${h(r.commit?.slice(0, SHORT_COMMIT) ?? '-')}</code></td><td>${h(r.branch ?? '-')}</td><td>${href ? `<a href="${h(href)}">${h(r.runId)}</a>` : h(r.runId)}</td></tr>`;
    })
    .join('');
  const html = pageHtml(
    `edgebench history: ${suite}`,
    `<p><a href="${h(options.indexHref)}">All suites</a></p><h1>${h(suite)}</h1><p>${runs.length} run${runs.length === 1 ? '' : 's'} (the last ${options.lastRuns} at most), oldest to newest; hover a line for the commit of each run.</p><h2>Change points</h2>${stepList}${figures}<h2>Runs</h2><div class="table-wrap"><table><thead><tr><th>#</th><th>started (UTC)</th><th>commit</th><th>branch</th><th>run</th></tr></thead><tbody>${runRows}</tbody></table></div>`,
    charts.map((c) => ({ id: c.id, spec: c.spec })),
  );
  return { html, steps, worse: steps.filter(worse).length, runs: runs.length };
}

const unitTitle = (unit: string) => ({ bytes: 'MiB', share: '%' })[unit] ?? unit;
const scaled = (unit: string, value: number) => Number((unit === 'bytes' ? value / 1024 ** 2 : unit === 'share' ? value * 100 : value).toPrecision(4));

function metricSpec(metric: FixedMetricName, series: ReturnType<typeof seriesOf>, steps: Step[], indexOf: Map<string, number>, runs: RunRow[]): TopLevelSpec {
  const unit = METRICS[metric].unit;
  const taken = new Set<string>();
  const rows: Record<string, unknown>[] = [];
  for (const s of series) {
    // A device whose hardware changed, or a changed dataset, is a series of its own: it must not join the old line.
    let line = s.variant;
    for (let k = 2; taken.has(`${s.device}\u0000${line}`); k++) line = `${s.variant} (${k})`;
    taken.add(`${s.device}\u0000${line}`);
    for (const p of s.points) {
      const run = runs[indexOf.get(p.runId)! - 1]!;
      rows.push({
        kind: 'point',
        device: s.device,
        line,
        run: run.index,
        value: scaled(unit, p.value),
        commit: p.commit?.slice(0, SHORT_COMMIT) ?? '',
        branch: p.branch ?? '',
        runId: p.runId,
      });
    }
  }
  for (const step of steps)
    rows.push({
      kind: 'step',
      device: step.series.device,
      line: step.series.variant,
      run: indexOf.get(step.at.runId)!,
      description: step.summary,
    });
  const x = {
    field: 'run',
    type: 'quantitative' as const,
    title: 'run, oldest to newest',
    axis: { tickMinStep: 1, format: 'd' },
    scale: { domain: [1, Math.max(runs.length, 2)], nice: false },
  };
  return {
    ...baseConfig,
    data: { values: rows },
    // A panel per device with its own value axis: a 0.03 ms host beside a 10 ms board would flatten the host.
    facet: {
      row: { field: 'device', type: 'nominal', title: null, header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold' } },
    },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 640,
      height: 140,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'point'" }],
          mark: { type: 'line', strokeWidth: 1.5, point: { size: 16 } },
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: unitTitle(unit), scale: { zero: false } },
            color: { field: 'line', type: 'nominal', title: 'variant' },
            tooltip: [
              { field: 'line', title: 'variant' },
              { field: 'value' },
              { field: 'run', title: 'run #' },
              { field: 'commit' },
              { field: 'branch' },
              { field: 'runId', title: 'run' },
            ],
          },
        },
        {
          transform: [{ filter: "datum.kind === 'step'" }],
          mark: { type: 'rule', strokeDash: [4, 3], strokeWidth: 1.5, color: '#555' },
          encoding: { x, tooltip: [{ field: 'description', title: 'change point' }] },
        },
      ],
    },
  } as TopLevelSpec;
}

/** A page of the site: charts drawn by the libraries in assets/charts.js beside it, so every page opens from file:// with no network. */
export function pageHtml(title: string, body: string, charts: { id: string; spec: TopLevelSpec }[], assets = 'assets'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="edgebench-charts">${jsonForScript(charts)}</script>
<script src="${h(assets)}/charts.js"></script>
<script src="${h(assets)}/render.js"></script>
</body>
</html>
`;
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; background: #fff; overflow-wrap: anywhere; }
main { max-width: 1100px; margin: 0 auto; padding: 0 24px 40px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #e2e2e2; padding: 4px 8px; text-align: left; }
th { background: #f6f6f6; }
.table-wrap, .chart { max-width: 100%; overflow-x: auto; }
.chart svg { max-width: 100%; height: auto; }
ul.steps li.worse { color: #a1251b; } ul.steps li.better { color: #1e6b34; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
`;
