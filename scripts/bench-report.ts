/**
 * The HTML report at scale: 100 device x variant cells (10 devices x 10
 * variants, 300 samples each, quality scores, router sweeps) compared with a
 * baseline run. Prints the page's size and the time real Chromium takes from
 * navigation to the last chart drawn, opened from file:// (targets: <= 2 MB, <= 1 s).
 *
 *   npm run bench:report [-- --loads 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openChromium } from '../harness/browser/chromium.ts';
import { gate } from '../harness/compare/gate.ts';
import { writeHtmlReport } from '../harness/report/html/write-html-report.ts';
import { buildReport } from '../harness/report/report.ts';
import { latencies, results } from '../test/helpers/results.ts';

const { values } = parseArgs({ options: { loads: { type: 'string', default: '5' } } });
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
  const r = results(cells, { runId, suite: { budgets: [{ metric: 'latency.p90', max: 3 }, { metric: 'latency.p50', increase: { relative: 0.05 } }] } });
  r.devices = Array.from({ length: DEVICES }, (_, d) => ({ ...r.devices[0]!, id: `device-${d}` }));
  for (const cell of r.cells) {
    const points = Array.from({ length: 200 }, (_, k) => ({ threshold: k / 199, localShare: 1 - k / 199, cloudShare: k / 199, combinedAccuracy: 0.95 + 0.05 * Math.sqrt(k / 199), localAccuracyOnKept: 0.95 }));
    cell.quality!.router = { signal: 'entropy', targetAccuracy: 0.99, points, recommended: points[80]!, note: '' };
  }
  return r;
}

const dir = await mkdtemp(join(tmpdir(), 'edgebench-bench-report-'));
const baseline = run('baseline', 1);
const candidate = run('candidate', 1.04);
const started = performance.now();
const report = buildReport({ runs: [candidate], baseline, gates: [gate({ baseline: { results: baseline, file: 'b' }, candidate: { results: candidate, file: 'c' } })] });
const written = await writeHtmlReport(dir, report);
const writeMs = performance.now() - started;

const chromium = await openChromium();
const renders: number[] = [];
try {
  for (let i = 0; i < Number(values.loads); i++) {
    await chromium.browser.url(pathToFileURL(written.indexFile).href);
    await chromium.browser.waitUntil(async () => (await chromium.browser.execute(() => document.body.getAttribute('data-charts'))) === 'done', { timeout: 60_000 });
    renders.push(Number(await chromium.browser.execute(() => document.body.getAttribute('data-render-ms'))));
  }
} finally {
  await chromium.close();
}
const errors = chromium.console.filter((m) => m.level === 'error');
renders.sort((a, b) => a - b);
console.log(`${DEVICES * VARIANTS} cells: index.html ${(written.bytes / 1024 / 1024).toFixed(2)} MB (target <= 2 MB), ${written.svgFiles.length} SVG charts; built and written in ${writeMs.toFixed(0)} ms`);
console.log(`Chromium, navigation to last chart drawn, ${renders.length} loads: median ${renders[Math.floor(renders.length / 2)]!.toFixed(0)} ms, min ${renders[0]!.toFixed(0)} ms, max ${renders.at(-1)!.toFixed(0)} ms (target <= 1000 ms); console errors: ${errors.length}`);
if (process.env.KEEP) console.log(written.indexFile); else await rm(dir, { recursive: true, force: true });
