/**
 * The HTML report at scale: 100 device x variant cells (10 devices x 10
 * variants, 300 samples each, quality scores, router sweeps) compared with a
 * baseline run. Prints the page's size and the time real Chromium takes from
 * navigation to the last chart drawn, opened from file:// (targets: <= 2 MB, <= 1 s).
 * With --history-runs n the report also shows the trends over a history of n
 * earlier runs of every cell (latency 6% higher from two thirds of the way on).
 *
 *   npm run bench:report [-- --loads 5] [-- --history-runs 50]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openChromium } from '../harness/browser/chromium.ts';
import { gate } from '../harness/compare/gate.ts';
import { buildTrends } from '../harness/history/report-trends.ts';
import { historyEntries, type HistoryEntry } from '../harness/history/store.ts';
import { writeHtmlReport } from '../harness/report/html/write-html-report.ts';
import { buildReport } from '../harness/report/report.ts';
import { gaussian, seededRandom } from './demo/random.ts';
import { latencies, results } from '../test/helpers/results.ts';

const { values } = parseArgs({ options: { loads: { type: 'string', default: '5' }, 'history-runs': { type: 'string', default: '0' } } });
const DEVICES = 10;
const VARIANTS = 10;

function run(runId: string, scale: number) {
  const cells = Array.from({ length: DEVICES * VARIANTS }, (_, i) => ({
    deviceId: `device-${Math.floor(i / VARIANTS)}`,
    variant: `variant-${i % VARIANTS}`,
    samples: latencies(300, (1 + (i % VARIANTS) * 0.3) * scale, i + 1),
    repeats: 5,
    correct: Array.from({ length: 200 }, (_, k) => k % (20 + (i % VARIANTS)) !== 0),
  }));
  const r = results(cells, {
    runId,
    suite: {
      budgets: [
        { metric: 'latency.p90', max: 3 },
        { metric: 'latency.p50', increase: { relative: 0.05 } },
      ],
    },
  });
  r.devices = Array.from({ length: DEVICES }, (_, d) => ({ ...r.devices[0]!, id: `device-${d}` }));
  for (const cell of r.cells) {
    const points = Array.from({ length: 200 }, (_, k) => ({
      threshold: k / 199,
      localShare: 1 - k / 199,
      cloudShare: k / 199,
      combinedAccuracy: 0.95 + 0.05 * Math.sqrt(k / 199),
      localAccuracyOnKept: 0.95,
    }));
    cell.quality!.router = { signal: 'entropy', targetAccuracy: 0.99, points, recommended: points[80]!, note: '' };
  }
  return r;
}

/**
 * n earlier runs of every cell of `latest`, a day apart: its stored entries with
 * latency scaled by 1% noise, and by 1.06 from two thirds of the way on.
 * Scaling stored values, not measuring again, keeps building the history quick.
 */
function historyBefore(latest: ReturnType<typeof run>, n: number): HistoryEntry[] {
  const normal = gaussian(seededRandom(7));
  return Array.from({ length: n }, (_, k) => {
    const factor = k >= (2 * n) / 3 ? 1.06 : 1;
    const where = { commit: `c${k}`.padEnd(40, '0'), branch: 'main' };
    return historyEntries({ ...latest, runId: `history-${k}`, startedAt: new Date(Date.UTC(2026, 0, 1 + k)).toISOString() }, where).map((e) => ({
      ...e,
      metrics: Object.fromEntries(
        Object.entries(e.metrics).map(([metric, value]) => [metric, metric.startsWith('latency.') ? value * factor * (1 + 0.01 * normal()) : value]),
      ),
    }));
  }).flat();
}

const dir = await mkdtemp(join(tmpdir(), 'edgebench-bench-report-'));
const baseline = run('baseline', 1);
const candidate = { ...run('candidate', 1.04), startedAt: new Date(Date.UTC(2027, 0, 1)).toISOString() };
const historyRuns = Number(values['history-runs']);
const started = performance.now();
const trends = historyRuns > 0 ? buildTrends({ historyFile: 'history.jsonl', entries: historyBefore(candidate, historyRuns), runs: [candidate] }) : undefined;
const trendsMs = performance.now() - started;
const report = buildReport({
  runs: [candidate],
  baseline,
  gates: [gate({ baseline: { results: baseline, file: 'b' }, candidate: { results: candidate, file: 'c' } })],
  ...(trends ? { trends } : {}),
});
const written = await writeHtmlReport(dir, report);
const writeMs = performance.now() - started;

// With a history, the page without it is loaded in alternation: on a shared machine only the two side by side say what the trends cost.
const pages = [{ name: 'this page', file: written.indexFile, renders: [] as number[] }];
if (trends) {
  const plain = await writeHtmlReport(join(dir, 'without-history'), { ...report, trends: undefined });
  pages.push({ name: 'the same page without the history', file: plain.indexFile, renders: [] });
}
const chromium = await openChromium();
try {
  for (let i = 0; i < Number(values.loads); i++) {
    for (const page of pages) {
      await chromium.browser.url(pathToFileURL(page.file).href);
      await chromium.browser.waitUntil(async () => (await chromium.browser.execute(() => document.body.getAttribute('data-charts'))) === 'done', {
        timeout: 60_000,
      });
      page.renders.push(Number(await chromium.browser.execute(() => document.body.getAttribute('data-render-ms'))));
    }
  }
} finally {
  await chromium.close();
}
const errors = chromium.console.filter((m) => m.level === 'error');
if (trends)
  console.log(
    `history of ${historyRuns} runs: ${trends.series.length} series, ${trends.series.reduce((n, s) => n + s.changePoints.length, 0)} change points, found in ${trendsMs.toFixed(0)} ms`,
  );
console.log(
  `${DEVICES * VARIANTS} cells: index.html ${(written.bytes / 1024 / 1024).toFixed(2)} MB (target <= 2 MB), ${written.svgFiles.length} SVG charts; built and written in ${writeMs.toFixed(0)} ms`,
);
for (const { name, renders } of pages) {
  renders.sort((a, b) => a - b);
  console.log(
    `Chromium, navigation to last chart drawn, ${name}, ${renders.length} loads: median ${renders[Math.floor(renders.length / 2)]!.toFixed(0)} ms, min ${renders[0]!.toFixed(0)} ms, max ${renders.at(-1)!.toFixed(0)} ms (target <= 1000 ms)`,
  );
}
console.log(`console errors: ${errors.length}`);
if (process.env.KEEP) console.log(written.indexFile);
else await rm(dir, { recursive: true, force: true });
