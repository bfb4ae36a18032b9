import type { HistoryEntry } from '../../history/store.ts';
import { chartLibrarySources } from '../html/chart-libraries.ts';
import { escapeHtml as h } from '../html/escape.ts';
import { pageHtml, suitePage } from './suite-page.ts';

export interface SiteOptions {
  /** The most recent runs drawn per suite (default 100). */
  lastRuns?: number;
  /** Steps smaller than this share are not marked (default 0.02). */
  minRelativeChange?: number;
  /** Where each run's report is, when known: an address relative to the site's folder, or http(s). */
  reportOf?(runId: string): string | undefined;
}

/** A file of the site: its path inside the site's folder, and its text. */
export interface SiteFile {
  path: string;
  text: string;
}

/**
 * The history site: an index of the suites (those with a metric that got worse first) and a page per suite with
 * each metric's series per device x variant and its change points. Plain files: the chart libraries are shipped
 * in assets/, so the folder opens from file:// or any static host (GitHub Pages) with no network. Page names are
 * numbered, never built from a suite's name.
 */
export function buildHistorySite(entries: HistoryEntry[], options: SiteOptions = {}): SiteFile[] {
  const lastRuns = options.lastRuns ?? 100;
  const minRelativeChange = options.minRelativeChange ?? 0.02;
  const suites = [...new Set(entries.map((e) => e.suite))].sort();
  const pages = suites.map((suite, i) => {
    const page = suitePage(
      suite,
      entries.filter((e) => e.suite === suite),
      { lastRuns, minRelativeChange, reportOf: options.reportOf ?? (() => undefined), indexHref: 'index.html' },
    );
    const latest = entries.filter((e) => e.suite === suite).reduce((a, b) => (b.startedAt > a.startedAt ? b : a));
    return { suite, file: `suite-${i + 1}.html`, page, latest };
  });
  const worse = (p: (typeof pages)[number]) => p.page.worse;
  const rows = [...pages]
    .sort((a, b) => worse(b) - worse(a))
    .map(
      (p) =>
        `<tr><td><a href="${p.file}">${h(p.suite)}</a></td><td>${p.page.runs}</td><td>${h(p.latest.startedAt.slice(0, 16).replace('T', ' '))}</td><td>${h(p.latest.commit?.slice(0, 12) ?? '-')}</td><td class="${worse(p) ? 'worse' : ''}">${worse(p)}</td><td>${p.page.steps.length - worse(p)}</td></tr>`,
    )
    .join('');
  const index = pageHtml(
    'edgebench history',
    `<h1>edgebench history</h1><p>${suites.length} suite${suites.length === 1 ? '' : 's'}, ${new Set(entries.map((e) => e.runId)).size} runs. Each page draws every metric over the last ${lastRuns} runs at most, per device and variant, with the change points E-divisive finds (steps of ${(minRelativeChange * 100).toFixed(0)}% or more).</p>${
      suites.length
        ? `<div class="table-wrap"><table><thead><tr><th>suite</th><th>runs</th><th>latest run (UTC)</th><th>its commit</th><th>steps worse</th><th>steps better</th></tr></thead><tbody>${rows}</tbody></table></div>`
        : '<p>The history is empty: store runs with edgebench history add, or give --runs.</p>'
    }`,
    [],
  );
  return [
    { path: 'index.html', text: index },
    ...pages.map((p) => ({ path: p.file, text: p.page.html })),
    { path: 'assets/charts.js', text: chartLibrarySources().join('\n;\n') },
    { path: 'assets/render.js', text: RENDER_SCRIPT },
    // GitHub Pages serves the folder as is (no Jekyll).
    { path: '.nojekyll', text: '' },
  ];
}

/** Draws each chart of the page; the element's data-rendered says how it went (the browser test reads it). */
const RENDER_SCRIPT = `(function () {
  var charts = JSON.parse(document.getElementById('edgebench-charts').textContent);
  Promise.all(charts.map(function (chart) {
    var element = document.getElementById('chart-' + chart.id);
    return vegaEmbed(element, chart.spec, { actions: false, renderer: 'svg' }).then(
      function () { element.setAttribute('data-rendered', 'ok'); },
      function (error) { element.setAttribute('data-rendered', 'error'); element.textContent = 'This chart could not be drawn: ' + error.message; }
    );
  })).then(function () { document.body.setAttribute('data-charts', 'done'); });
})();
`;
