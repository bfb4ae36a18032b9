import { describe, expect, it } from 'vitest';
import { CHARTS } from '../../../harness/report/html/charts/registry.ts';
import { thinFlat } from '../../../harness/report/html/charts/trends.ts';
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

  it('opens on the decision: what got worse first, then a card per device with the variant to ship', () => {
    const markup = markupOf(html);
    const at = (needle: string) => markup.indexOf(needle);
    expect(at('<section id="decision"')).toBeGreaterThan(0);
    expect(at('<section id="decision"')).toBeLessThan(at('<section class="gate">'));
    expect(at('<section class="gate">')).toBeLessThan(at('<section id="deltas">'));
    const decision = markup.slice(at('<section id="decision"'), at('<section class="gate">'));
    // Every cell of the candidate is slower than its baseline and over a budget: all three are listed, worst first.
    expect(decision).toMatch(/<p class="verdict fail" data-worse="3">3 cells got worse or broke a budget against baseline <code>baseline<\/code>/);
    expect(decision.indexOf('<ol class="worse">')).toBeLessThan(decision.indexOf('<div class="cards">'));
    expect(decision).toContain('<article class="card" data-device="host">');
    expect(decision).toContain('No variant to ship: no variant ran and passed every budget.');
    expect(decision).toContain('<span class="standing over-budget">over budget</span>');
  });

  it('collapses the measurement warnings under their count, below the verdict', () => {
    const report = hostileReport();
    report.gates[0]!.warnings = [
      { code: 'FEW_SAMPLES', deviceId: 'host', variant: HOSTILE[0]!, run: 'candidate', message: 'few samples', remedy: 'more iterations' },
      { code: 'DRIFT', deviceId: 'host', variant: 'int8', run: 'baseline', message: 'drift', remedy: 'cool down' },
    ];
    const markup = markupOf(renderPage(report).html);
    expect(markup).toMatch(/<details class="warnings"><summary>2 measurement warnings<\/summary><ul><li>host \/ &lt;script&gt;/);
    expect(markup.indexOf('<details class="warnings">')).toBeGreaterThan(markup.indexOf('data-status="fail"'));
  });

  it('gives each device its own latency axis, and wraps side-by-side panels', () => {
    const spec = (id: string) => charts.find((c) => c.id === id)!.spec as unknown as Record<string, unknown>;
    for (const id of ['latency-box', 'latency-cdf', 'pareto']) expect(spec(id).resolve, id).toEqual({ scale: { x: 'independent' } });
    expect(spec('trends').resolve).toEqual({ scale: { y: 'independent' } });
    expect(spec('pareto').columns).toBe(2);
    expect(spec('deltas').columns).toBe(3);
  });

  it('draws every view when the data is there', () => {
    expect(charts.map((c) => c.id).sort()).toEqual([
      'deltas',
      'latency-box',
      'latency-cdf',
      'memory-disk',
      'pareto',
      'quality',
      'router',
      'trends',
      'variants',
    ]);
    // int8 and the third variant against fp32, the reference, on the same device.
    expect(report.variantComparisons![0]!.reference).toBe('fp32');
    expect(new Set(report.variantComparisons![0]!.comparisons.map((c) => c.variant))).toEqual(new Set(['int8', HOSTILE[1]]));
    expect(Object.keys(CHARTS)).toHaveLength(8);
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

  it("shows each metric's trend over the history, its change points listed above the charts", () => {
    expect(charts.map((c) => c.id)).toContain('trends');
    const markup = markupOf(html);
    const section = markup.slice(markup.indexOf('<section id="trends">'), markup.indexOf('<section id="latency">'));
    // Right after what changed against the baseline, before the latency charts.
    expect(markup.indexOf('<section id="trends">')).toBeGreaterThan(markup.indexOf('<section id="deltas">'));
    expect(section).toContain('<h2>Trends: each metric over the stored history</h2>');
    // The 8% step at the seventh run, whose commit is a hostile string, on a hostile branch, escaped.
    expect(section).toMatch(
      /<li>p50 latency on host \/ int8 stepped up \d\.\d% at &lt;script&gt;wind \(run history-7\) on &lt;\/script&gt;&lt;script&gt;window\.__pwned = 3&lt;\/script&gt; \(permutation p 0\.\d+\)<\/li>/,
    );
    expect(section).toContain('Too few runs to find a change point (at least 6 are needed): host / fp32 has 1 run of hallucination');
    expect(section).toContain('Not in history.jsonl yet, drawn as a diamond: run candidate');
    expect(section.indexOf('<ul class="notes">')).toBeLessThan(section.indexOf('<figure>'));
    const trend = charts.find((c) => c.id === 'trends')!;
    type Row = { kind: string; panel: string; line: string; run: number[]; value: (number | null)[]; label?: string; commit?: string };
    const rows = (trend.spec.data as { values: Row[] }).values;
    const p50 = rows.filter((r) => r.panel === 'latency.p50 (ms)');
    expect(new Set(rows.map((r) => r.panel))).toEqual(
      new Set([
        'latency.p50 (ms)',
        'latency.p90 (ms)',
        'latency.p99 (ms)',
        'loadMs (ms)',
        'peakRssBytes (MiB)',
        'modelRssBytes (MiB)',
        'diskBytes (MiB)',
        'accuracy (%)',
        'klDivergence (nats)',
        'top1Agreement (%)',
        'hallucination (%)',
      ]),
    );
    expect(p50.filter((r) => r.kind === 'line').map((r) => r.run.length)).toEqual([13, 13, 13]);
    // The three lines stepped at the same run: one rule, one label.
    expect(p50.filter((r) => r.kind === 'step').map((r) => [r.run, r.label])).toEqual([
      [[7], expect.stringMatching(/^\+\d\.\d%( to \+\d\.\d%)? at <script>wind \(3 lines\)$/)],
    ]);
    expect(p50.filter((r) => r.kind === 'current').map((r) => r.run)).toEqual([[13], [13], [13]]);
    expect(p50.filter((r) => r.kind === 'run').map((r) => r.commit)).toEqual([
      ...Array.from({ length: 6 }, (_, i) => `c${i + 1}`.padEnd(12, '0')),
      '<script>wind',
      ...Array.from({ length: 5 }, (_, i) => `c${i + 8}`.padEnd(12, '0')),
      '',
    ]);
  });

  it('leaves out the points of flat stretches that the eye cannot see, never the ends', () => {
    expect(thinFlat([5, 5, 5, 5, 5], 0.01)).toEqual([0, 4]);
    expect(thinFlat([1, 1, 1, 2, 2, 2], 0.01)).toEqual([0, 2, 3, 5]);
    expect(thinFlat([1, 1.004, 0.996, 1.02, 1], 0.01)).toEqual([0, 2, 3, 4]);
    expect(thinFlat([3], 0.01)).toEqual([0]);
  });

  it('says why a view is missing instead of drawing an empty chart', () => {
    const bare = results([{ variant: 'fp32', samples: latencies(50, 1, 1) }]);
    const page = renderPage(buildReport({ runs: [bare], gates: [gate({ candidate: { results: bare, file: 'r.json' } })] }));
    expect(page.charts.map((c) => c.id)).toEqual(['latency-box', 'latency-cdf', 'memory-disk']);
    expect(page.html).toContain('Nothing to compare: no baseline run');
    expect(page.html).toContain('No history given: pass --history &lt;file&gt;');
    expect(page.html).toContain('No accuracy to plot: the suite has no baseline');
    expect(page.html).toMatch(/unavailable<\/span>: no energy probe ran on host/);
  });

  it('says how the devices shared the machine, when the run recorded it', () => {
    const run = results([{ variant: 'fp32', samples: latencies(50, 1, 1) }]);
    run.scheduling = {
      policy: 'exclusive',
      note: "devices that compute on this machine's cores run one at a time",
      shared: [],
      peakConcurrency: 2,
      overhead: { perProcessMs: { n: 5, p50: 3.21, max: 18.4 }, recordMs: { n: 5, p50: 1, max: 2 }, dispatchMs: { n: 6, p50: 0.01, max: 0.1 } },
    };
    const page = renderPage(buildReport({ runs: [run], gates: [gate({ candidate: { results: run, file: 'r.json' } })] }));
    expect(markupOf(page.html)).toContain(
      'scheduling exclusive: devices that compute on this machine&#39;s cores run one at a time; at most 2 runner process(es) at once; edgebench&#39;s own time per runner process: p50 3.2 ms, max 18.4 ms',
    );
    expect(markupOf(html)).not.toContain('scheduling exclusive');
  });

  it('renders each chart to standalone SVG in Node, text escaped', async () => {
    for (const chart of charts) {
      const svg = await chartSvg(chart);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).not.toMatch(/<script|<img/i);
    }
    expect(await chartSvg(charts.find((c) => c.id === 'pareto')!)).toContain('&quot;&gt;&lt;img');
    const trend = await chartSvg(charts.find((c) => c.id === 'trends')!);
    expect(trend).toMatch(/\+\d\.\d%( to \+\d\.\d%)? at &lt;script&gt;wind/);
    expect(trend).toContain('&quot;&gt;&lt;img');
  });
});
