import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, openChromium } from '../../harness/browser/chromium.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { commitOf, historyOf } from '../helpers/history.ts';
import { HOSTILE } from '../helpers/report.ts';
import { latencies, results } from '../helpers/results.ts';

const BIN = fileURLToPath(new URL('../../bin/edgebench.js', import.meta.url));
const REAL_RUN = fileURLToPath(new URL('../fixtures/results/demo-decoder-v1.json', import.meta.url));

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
  // Twelve runs of a suite with a hostile name, p50 8% higher on host / int8 from the seventh, whose commit and branch are hostile too.
  const history = historyOf(
    12,
    (k) =>
      results(
        [
          { variant: 'fp32', samples: latencies(300, 2, k), repeats: 3 },
          { variant: 'int8', samples: latencies(300, k >= 7 ? 1.08 : 1, 100 + k), repeats: 3 },
        ],
        { runId: `history-${k}`, suite: { name: HOSTILE[0] } },
      ),
    (k) => ({ commit: k === 7 ? HOSTILE[1]! : commitOf(k), branch: HOSTILE[2]! }),
  );
  await project.write('history.jsonl', history.map((e) => `${JSON.stringify(e)}\n`).join(''));
  // A real run (the demo decoder, trimmed) in a run folder with its report.
  await mkdir(project.path('reports/real-run'), { recursive: true });
  await copyFile(REAL_RUN, project.path('reports/real-run/results.json'));
  await project.write('reports/real-run/index.html', '<!doctype html><title>report</title>');
});
afterAll(() => project?.cleanup());

const markupOf = (html: string) => html.replace(/<script[^>]*>[\s\S]*?<\/script>/g, '');

describe('edgebench history site (the real CLI, then Chromium)', () => {
  it('writes an index and a page per suite, each metric with its change points, runs linked to their reports', async () => {
    const run = await execa(process.execPath, [BIN, 'history', 'site', 'history.jsonl', '--runs', 'reports', '-o', 'site'], {
      cwd: project.dir,
      reject: false,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('history site: site/index.html (2 suite(s), 13 run(s), 6 files)');
    const index = markupOf(await readFile(project.path('site/index.html'), 'utf8'));
    for (const hostile of HOSTILE) expect(index).not.toContain(hostile);
    // The suite whose metric got worse comes first.
    expect(index.indexOf('&lt;script&gt;window.__pwned = 1&lt;/script&gt;')).toBeLessThan(index.indexOf('demo-tiny-decoder'));
    expect(existsSync(project.path('site/assets/charts.js'))).toBe(true);

    const pageOf = async (suite: string) => {
      for (const file of ['suite-1.html', 'suite-2.html']) {
        const text = await readFile(project.path('site', file), 'utf8');
        if (markupOf(text).includes(`<h1>${suite}</h1>`)) return text;
      }
      throw new Error(`no page for ${suite}`);
    };
    const synthetic = markupOf(await pageOf('&lt;script&gt;window.__pwned = 1&lt;/script&gt;'));
    for (const hostile of HOSTILE) expect(synthetic).not.toContain(hostile);
    // The step at the seventh run, named by its (hostile) commit as git shortens it and its (hostile) branch, all escaped.
    expect(synthetic).toMatch(
      /<li class="worse">p50 latency on host \/ int8 stepped up \d\.\d% at &quot;&gt;&lt;img src=x \(run history-7\) on &lt;\/script&gt;&lt;script&gt;window\.__pwned = 3&lt;\/script&gt; \(permutation p 0\.\d+\)<\/li>/,
    );
    expect(synthetic).not.toMatch(/class="worse">[^<]*fp32/);
    expect(synthetic).toContain('<h2>latency.p50 (ms)</h2>');

    const real = markupOf(await pageOf('demo-tiny-decoder'));
    expect(real).toContain('<a href="../reports/real-run/index.html">2026-12-05T08-08-48Z-a202</a>');
    expect(real).toContain('<h2>ttft.p50 (ms)</h2>');
  });

  it('opens from file:// with no network, draws every chart, runs none of the hostile strings and fits 1400 and 800 px', async () => {
    for (const binary of [CHROMIUM_BINARY, CHROMEDRIVER_BINARY])
      if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium and chromium-driver`);
    const chromium = await openChromium();
    try {
      const { browser } = chromium;
      for (const file of ['index.html', 'suite-1.html', 'suite-2.html']) {
        await browser.url(pathToFileURL(project.path('site', file)).href);
        await browser.waitUntil(async () => (await browser.execute(() => document.body.getAttribute('data-charts'))) === 'done', { timeout: 30_000 });
        const charts = await browser.execute(() =>
          [...document.querySelectorAll('.chart')].map((e) => [e.getAttribute('data-rendered'), e.querySelectorAll('svg path').length]),
        );
        for (const [rendered, paths] of charts) {
          expect(rendered, file).toBe('ok');
          expect(paths, file).toBeGreaterThan(2);
        }
        if (file !== 'index.html') expect(charts.length).toBeGreaterThan(3);
        expect(await browser.execute(() => typeof (window as unknown as { __pwned?: number }).__pwned)).toBe('undefined');
        for (const width of [1400, 800]) {
          await browser.setWindowSize(width, 900);
          await browser.pause(100);
          const [scrollWidth, clientWidth] = await browser.execute(() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]);
          expect(scrollWidth, `${file} at ${width} px`).toBeLessThanOrEqual(clientWidth);
        }
      }
      expect(chromium.console.filter((m) => m.level === 'error')).toEqual([]);
    } finally {
      await chromium.close();
    }
  }, 120_000);
});
