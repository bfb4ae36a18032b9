import { describe, expect, it } from 'vitest';
import { CHARTS } from '../../../harness/report/html/charts/registry.ts';
import { renderPage } from '../../../harness/report/html/page.ts';
import { chartSvg } from '../../../harness/report/html/svg.ts';
import { buildReport } from '../../../harness/report/report.ts';
import { gate } from '../../../harness/compare/gate.ts';
import { HOSTILE, hostileReport } from '../../helpers/report.ts';
import { latencies, results } from '../../helpers/results.ts';

/** The page without its embedded chart data and inlined libraries: the markup a browser parses as HTML. */
const markupOf = (html: string) => html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');

describe('the HTML report page', () => {
  const report = hostileReport();
  const { html, charts } = renderPage(report);

  it('puts the gate verdict first, with the failed budget and the regression', () => {
    const markup = markupOf(html);
    expect(markup.indexOf('data-status="fail"')).toBeGreaterThan(0);
    expect(markup.indexOf('data-status="fail"')).toBeLessThan(markup.indexOf('id="latency"'));
    expect(markup).toMatch(/FAIL: \d+ budget check\(s\) at level error failed/);
    expect(markup).toContain('verdict-tag regressed');
  });

  it('draws every view when the data is there', () => {
    expect(charts.map((c) => c.id).sort()).toEqual(['deltas', 'latency-box', 'latency-cdf', 'memory-disk', 'pareto', 'quality', 'router', 'variants']);
    // int8 and the third variant against fp32, the reference, on the same device.
    expect(report.variantComparisons![0]!.reference).toBe('fp32');
    expect(new Set(report.variantComparisons![0]!.comparisons.map((c) => c.variant))).toEqual(new Set(['int8', HOSTILE[1]]));
    expect(Object.keys(CHARTS)).toHaveLength(7);
    for (const section of ['energy', 'Devices', 'Example outputs', 'Metrics']) expect(html).toContain(section);
  });

  it('escapes every string that came from a model, a dataset or a config', () => {
    const markup = markupOf(html);
    for (const hostile of HOSTILE) expect(markup).not.toContain(hostile);
    expect(markup).not.toMatch(/<img/i);
    expect(markup).toContain('&lt;script&gt;window.__pwned = 1&lt;/script&gt;');
    expect(markup).toContain('&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned = 2&quot;&gt;');
    // The only script elements are the chart data, the three libraries and the renderer.
    expect(html.match(/<script/g)).toHaveLength(5);
  });

  it('says why a view is missing instead of drawing an empty chart', () => {
    const bare = results([{ variant: 'fp32', samples: latencies(50, 1, 1) }]);
    const page = renderPage(buildReport({ runs: [bare], gates: [gate({ candidate: { results: bare, file: 'r.json' } })] }));
    expect(page.charts.map((c) => c.id)).toEqual(['latency-box', 'latency-cdf', 'memory-disk']);
    expect(page.html).toContain('Nothing to compare: no baseline run');
    expect(page.html).toContain('No accuracy to plot: the suite has no baseline');
    expect(page.html).toMatch(/unavailable<\/span>: no energy probe ran on host/);
  });

  it('says how the devices shared the machine, when the run recorded it', () => {
    const run = results([{ variant: 'fp32', samples: latencies(50, 1, 1) }]);
    run.scheduling = { policy: 'exclusive', note: "devices that compute on this machine's cores run one at a time", shared: [], peakConcurrency: 2, overhead: { perProcessMs: { n: 5, p50: 3.21, max: 18.4 }, recordMs: { n: 5, p50: 1, max: 2 }, dispatchMs: { n: 6, p50: 0.01, max: 0.1 } } };
    const page = renderPage(buildReport({ runs: [run], gates: [gate({ candidate: { results: run, file: 'r.json' } })] }));
    expect(markupOf(page.html)).toContain("scheduling exclusive: devices that compute on this machine&#39;s cores run one at a time; at most 2 runner process(es) at once; edgebench&#39;s own time per runner process: p50 3.2 ms, max 18.4 ms");
    expect(markupOf(html)).not.toContain('scheduling exclusive');
  });

  it('renders each chart to standalone SVG in Node, text escaped', async () => {
    for (const chart of charts) {
      const svg = await chartSvg(chart);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).not.toMatch(/<script|<img/i);
    }
    expect(await chartSvg(charts.find((c) => c.id === 'pareto')!)).toContain('&quot;&gt;&lt;img');
  });
});
