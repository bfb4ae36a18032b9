import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Report } from '../../core/report.ts';
import type { ChartBuilder, ChartView } from './charts/chart.ts';
import { CHARTS } from './charts/registry.ts';
import { escapeHtml as h, jsonForScript, scriptSource } from './escape.ts';
import { deviceSection, energySection, examplesSection, failureSection, gateSection, metricsSection, workloadSection } from './tables.ts';

const SECTION_TITLES: Record<ChartBuilder['section'], string> = {
  deltas: 'What changed: against the baseline, and each variant against the reference',
  trends: 'Trends: each metric over the stored history',
  latency: 'Latency',
  tradeoffs: 'Which variant to ship',
  resources: 'Memory and disk',
  thermal: 'Temperature',
  quality: 'Accuracy, hallucination and fidelity',
  router: 'Hybrid routing',
};

/** The libraries the page renders charts with, read from node_modules and inlined: the page needs no network. */
function chartLibraries(): string {
  const file = (pkg: string, path: string) => readFileSync(join(packageDir(pkg), path), 'utf8');
  return [file('vega', 'build/vega.min.js'), file('vega-lite', 'build/vega-lite.min.js'), file('vega-embed', 'build/vega-embed.min.js')]
    .map((source) => `<script>${scriptSource(source)}</script>`)
    .join('\n');
}

/** A package's folder: its exports hide package.json, so walk up from its entry point. */
function packageDir(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of the ${name} package`);
    dir = parent;
  }
  return dir;
}

export interface Page {
  html: string;
  charts: ChartView[];
}

/**
 * The self-contained HTML report: the gate verdict first, then every chart
 * section, metrics, energy and thermal, devices and example outputs. Data and
 * libraries are embedded, so the file opens from file:// with no network.
 * Every string from a model, a dataset or a config is escaped; chart data
 * travels as JSON in a non-executed script element.
 */
export function renderPage(report: Report): Page {
  const charts: ChartView[] = [];
  const sections = Object.values(CHARTS).map((builder: ChartBuilder) => {
    const views = builder.build(report);
    charts.push(...views);
    const notes = builder.notes?.(report) ?? [];
    const list = notes.length ? `<ul class="notes">${notes.map((n) => `<li>${h(n)}</li>`).join('')}</ul>` : '';
    const missing = typeof builder.missing === 'function' ? builder.missing(report) : builder.missing;
    const body = views.length
      ? views
          .map(
            (v) =>
              `<figure><figcaption><strong>${h(v.title)}</strong>. ${h(v.description)}</figcaption><div class="chart" id="chart-${h(v.id)}" data-chart="${h(v.id)}"></div></figure>`,
          )
          .join('')
      : `<p class="missing">${h(missing)}</p>`;
    return `<section id="${builder.section}"><h2>${h(SECTION_TITLES[builder.section])}</h2>${list}${body}</section>`;
  });
  const many = report.runs.length > 1;
  const gates = report.gates.map((gate, i) => gateSection(gate, many ? report.runs[i]!.runId : report.runs[i]!.suite.name)).join('');
  const title = `edgebench: ${report.runs
    .map((r) => r.suite.name)
    .filter((n, i, all) => all.indexOf(n) === i)
    .join(', ')}`;
  const specs = charts.map((c) => ({ id: c.id, spec: c.spec }));
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${h(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>${h(title)}</h1><p>Run(s) ${report.runs.map((r) => `<code>${h(r.runId)}</code> (${h(r.status)}, started ${h(r.startedAt)})`).join(', ')}${report.baseline ? `; baseline <code>${h(report.baseline.runId)}</code>` : ''}. Generated ${h(report.generatedAt)} by edgebench ${h(report.tool.version)}.</p></header>
<main>
${gates}
${sections.join('\n')}
${metricsSection(report)}
${workloadSection(report)}
${energySection(report)}
${failureSection(report)}
${deviceSection(report)}
${report.runs.map(examplesSection).join('')}
</main>
<script type="application/json" id="edgebench-charts">${jsonForScript(specs)}</script>
${chartLibraries()}
<script>${scriptSource(RENDER_SCRIPT)}</script>
</body>
</html>
`;
  return { html, charts };
}

/** Renders each chart into its element; the element's data-rendered says how it went (the browser tests read it). */
const RENDER_SCRIPT = `
(function () {
  var charts = JSON.parse(document.getElementById('edgebench-charts').textContent);
  var pending = charts.map(function (chart) {
    var element = document.getElementById('chart-' + chart.id);
    return vegaEmbed(element, chart.spec, { actions: false, renderer: 'svg' }).then(
      function () { element.setAttribute('data-rendered', 'ok'); },
      function (error) { element.setAttribute('data-rendered', 'error'); element.textContent = 'This chart could not be drawn: ' + error.message; }
    );
  });
  Promise.all(pending).then(function () {
    // Milliseconds from the start of navigation until every chart is drawn (read by npm run bench:report).
    document.body.setAttribute('data-render-ms', String(performance.now()));
    document.body.setAttribute('data-charts', 'done');
  });
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #222; background: #fff; }
header, main { max-width: 1200px; margin: 0 auto; padding: 0 24px; }
header { border-bottom: 1px solid #ddd; }
h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #eee; } h3 { font-size: 15px; }
.verdict { font-size: 18px; font-weight: 600; padding: 10px 14px; border-radius: 6px; }
.verdict.pass { background: #e6f4ea; color: #1e6b34; } .verdict.fail { background: #fdecea; color: #a1251b; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #e2e2e2; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
table.examples td { max-width: 360px; overflow-wrap: anywhere; }
.mismatch { color: #a1251b; }
.level.error, .verdict-tag.regressed { color: #a1251b; font-weight: 600; }
.level.warn, .verdict-tag.noisy { color: #9a6700; font-weight: 600; }
.verdict-tag.improved { color: #1e6b34; font-weight: 600; }
.source { font-size: 12px; padding: 0 4px; border-radius: 3px; }
.source.unavailable { background: #eee; color: #555; } .source.estimated { background: #fff4d6; color: #7a5200; }
figure { margin: 12px 0 24px; } figcaption { margin-bottom: 6px; color: #444; }
.missing, .note { color: #666; }
ul.notes { padding-left: 20px; } ul.notes li { overflow-wrap: anywhere; }
code { background: #f3f3f3; padding: 0 3px; border-radius: 3px; }
`;
