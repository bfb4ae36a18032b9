import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, openChromium } from '../../../harness/browser/chromium.ts';
import { writeHtmlReport } from '../../../harness/report/html/write-html-report.ts';
import { tempProject, type TempProject } from '../../helpers/project.ts';
import { HOSTILE, hostileReport } from '../../helpers/report.ts';

/** Where the screenshot is kept for people to look at (CI can upload it). */
const ARTIFACTS = 'reports/test-artifacts';

let project: TempProject;
let chromium: Awaited<ReturnType<typeof openChromium>>;
beforeAll(async () => {
  for (const binary of [CHROMIUM_BINARY, CHROMEDRIVER_BINARY]) {
    if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does)`);
  }
  project = await tempProject();
  chromium = await openChromium();
}, 60_000);
afterAll(async () => {
  await chromium?.close();
  await project?.cleanup();
});

describe('the HTML report in a real Chromium', () => {
  it('opens from file:// offline, draws every chart, logs no error and runs none of the hostile strings', async () => {
    const written = await writeHtmlReport(project.path('report'), hostileReport());
    const { browser } = chromium;
    await browser.url(pathToFileURL(written.indexFile).href);
    await browser.waitUntil(async () => (await browser.execute(() => document.body.getAttribute('data-charts'))) === 'done', {
      timeout: 30_000,
      timeoutMsg: 'the charts did not finish rendering',
    });

    const charts = await browser.execute(() =>
      [...document.querySelectorAll('.chart')].map((e) => ({
        id: e.id,
        rendered: e.getAttribute('data-rendered'),
        marks: e.querySelectorAll('svg path, svg rect, svg line, svg circle, svg text').length,
      })),
    );
    expect(charts.map((c) => c.id).sort()).toEqual([
      'chart-deltas',
      'chart-latency-box',
      'chart-latency-cdf',
      'chart-memory-disk',
      'chart-pareto',
      'chart-quality',
      'chart-router',
      'chart-trends',
      'chart-variants',
    ]);
    for (const chart of charts) {
      expect(chart.rendered, chart.id).toBe('ok');
      expect(chart.marks, chart.id).toBeGreaterThan(10);
    }

    expect(await browser.execute(() => typeof (window as unknown as { __pwned?: number }).__pwned)).toBe('undefined');
    const text = await browser.execute(() => document.body.innerText);
    for (const hostile of HOSTILE) expect(text).toContain(hostile);
    expect(await browser.execute(() => document.querySelectorAll('img').length)).toBe(0);
    // The trend's change points: the hostile commit (as git shortens it) and branch show as text, in the list and on the chart.
    const trends = await browser.execute(() => (document.getElementById('trends') as HTMLElement).innerText);
    expect(trends).toMatch(/stepped up \d\.\d% at <script>wind \(run history-7\) on <\/script><script>window\.__pwned = 3<\/script>/);
    const labels = await browser.execute(() => [...document.querySelectorAll('#chart-trends svg text')].map((t) => t.textContent));
    expect(labels).toContainEqual(expect.stringMatching(/^\+\d\.\d%( to \+\d\.\d%)? at <script>wind \(3 lines\)$/));
    expect(chromium.console.filter((m) => m.level === 'error')).toEqual([]);

    // Nothing wider than the page, at a desktop width and a narrow one; the decision is in the first screen.
    for (const width of [1400, 800]) {
      await browser.setWindowSize(width, 900);
      await browser.pause(200);
      const { scrollWidth, clientWidth, decisionTop, innerHeight } = await browser.execute(() => ({
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        decisionTop: (document.getElementById('decision') as HTMLElement).getBoundingClientRect().top + window.scrollY,
        innerHeight: window.innerHeight,
      }));
      expect(scrollWidth, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(clientWidth);
      expect(decisionTop).toBeLessThan(innerHeight / 2);
    }

    await mkdir(ARTIFACTS, { recursive: true });
    const height = await browser.execute(() => document.body.scrollHeight);
    await browser.setWindowSize(1280, Math.min(height + 100, 8000));
    await browser.saveScreenshot(`${ARTIFACTS}/report.png`);
    expect((await stat(`${ARTIFACTS}/report.png`)).size).toBeGreaterThan(10_000);
  }, 60_000);

  it('would have caught the strings had they gone in unescaped (the check above can fail)', async () => {
    const page = await project.write('unescaped.html', `<!doctype html><body><p>${HOSTILE[1]}</p></body>`);
    const { browser } = chromium;
    await browser.url(pathToFileURL(page).href);
    await browser.waitUntil(async () => (await browser.execute(() => (window as unknown as { __pwned?: number }).__pwned)) === 2, { timeout: 10_000 });
  }, 30_000);
});
