import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { z } from 'zod';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, openChromium } from '../../harness/browser/chromium.ts';
import { ChromiumPool } from '../../harness/devices/browser/chromium-pool.ts';
import { descendantsOf, isAlive } from '../../harness/system/processes.ts';
import type { BrowserDeviceSpec } from '../../harness/core/device-spec.ts';
import { browserDriver } from '../../harness/devices/browser.ts';
import { startPageServer } from '../../harness/devices/browser/page-server.ts';
import { DeviceFailure, drivePage } from '../../harness/devices/browser/page-session.ts';
import { rendererMemory, type PageMemory } from '../../harness/devices/browser/renderer.ts';
import { pageJobFor, runnerRoutes } from '../../harness/devices/browser/routes.ts';
import type { CellContext } from '../../harness/devices/driver.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { writeModel } from '../../harness/onnx/build.ts';
import { inspectModel } from '../../harness/onnx/model-file.ts';
import { buildPlan, type RunPlan } from '../../harness/plan/plan.ts';
import type { RunnerEvent, RunnerJob } from '../../harness/core/runner-protocol.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { CellResult } from '../../harness/core/results.ts';
import { buildDecoder } from '../../scripts/demo/decoder.ts';
import { maxAbsDiff, randomMatrix, writeSingleMatMul } from '../helpers/models.ts';
import { smallProject, type TempProject } from '../helpers/project.ts';
import { classifyJob } from '../helpers/jobs.ts';

type Spec = z.infer<typeof BrowserDeviceSpec>;
const browserSpec = (overrides: Partial<Spec> = {}): Spec => ({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads: 1, ...overrides });

let project: TempProject;
let plan: RunPlan;
let matMulPath: string;
beforeAll(async () => {
  for (const binary of [CHROMIUM_BINARY, CHROMEDRIVER_BINARY]) {
    if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does)`);
  }
  project = await smallProject();
  plan = await buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });
  matMulPath = project.path('models/matmul.onnx');
  await writeSingleMatMul(matMulPath, randomMatrix(MATMUL.k, MATMUL.n, 1, 0.05), MATMUL.k, MATMUL.n);
});
afterAll(() => project?.cleanup());
// Every test starts without a kept browser; those that check for leftovers after a failure rely on it.
afterEach(() => browserDriver.release!(browserSpec()));

const jobFor = (overrides: Partial<RunnerJob> = {}): RunnerJob => classifyJob(plan, overrides);

/** A model heavy enough (about 0.3 ms per run in the browser here) for throttling to show above timer noise. */
const MATMUL = { k: 512, n: 512, batch: 8 };
const matMulJob = (): RunnerJob =>
  jobFor({
    modelPath: matMulPath,
    task: { kind: 'forward' },
    warmup: 10,
    iterations: 60,
    examples: [0, 1, 2, 3].map((i) => ({
      id: `x-${i}`,
      feeds: { x: { type: 'float32', dims: [MATMUL.batch, MATMUL.k], data: Array.from(randomMatrix(MATMUL.batch, MATMUL.k, 10 + i)) } },
    })),
  });

async function measure(deviceId: string, runCell: () => Promise<RunnerOutcome>, timeoutMs = 60_000) {
  const startedAt = new Date();
  const outcome = await runCell();
  const cell = CellResult.parse(
    cellResult({ deviceId, variant: plan.variants[0]!.variant, runs: [{ startedAt, finishedAt: new Date(), outcome }], timeoutMs }),
  );
  return { outcome, cell };
}
const inBrowser = (job: RunnerJob, context: Partial<CellContext> = {}, spec = browserSpec()) =>
  measure(spec.id, () => browserDriver.runCell(spec, job, { timeoutMs: 60_000, ...context }), context.timeoutMs);
const onHost = (job: RunnerJob) => measure('host', () => localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 60_000 }));

/** Chromium or chromedriver processes this test process started and did not end. */
const leftoverBrowsers = () => descendantsOf(process.pid).filter((p) => p.state !== 'Z' && /chromium|chromedriver/.test(p.args.join(' ')));

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

describe('browser driver: onnxruntime-web in a real headless Chromium', () => {
  it('runs the classifier in the page and predicts exactly what the local driver predicts', async () => {
    const streamed: string[] = [];
    const browser = await inBrowser(jobFor(), { onEvent: (e) => streamed.push(e.type) });
    const local = await onHost(jobFor());

    const { cell } = browser;
    expect(cell.error).toBeUndefined();
    expect(cell.status).toBe('ok');
    expect(streamed[0]).toBe('hello');
    expect(streamed.at(-1)).toBe('done');
    expect(cell.warmupLatenciesMs).toHaveLength(2);
    expect(cell.samples.map((s) => s.iteration)).toEqual([...Array(15).keys()]);
    expect(cell.samples.every((s) => s.latencyMs > 0)).toBe(true);
    expect(cell.runtime).toMatchObject({ name: 'onnxruntime-web', version: '1.30.0', platform: 'browser', arch: 'wasm32', onnxruntime: '1.30.0' });
    expect(cell.runtime?.node).toMatch(/^Chromium \d+\./);
    expect(cell.constraints).toMatch(/^Chromium \d+\S* headless, onnxruntime-web 1\.30\.0 WebAssembly \(SIMD\), 1 thread, no CPU throttling$/);

    // Same model, same inputs: WebAssembly and native kernels pick the same class for every example.
    const predictions = (c: CellResult) => c.outputs.map(({ exampleId, output }) => [exampleId, output.kind === 'classify' ? output.classIndex : -1]);
    expect(cell.outputs).toHaveLength(10);
    expect(predictions(cell)).toEqual(predictions(local.cell));
    for (const [k, { output }] of cell.outputs.entries()) {
      const native = local.cell.outputs[k]!.output;
      if (output.kind !== 'classify' || native.kind !== 'classify') throw new Error('expected classify outputs');
      expect(maxAbsDiff(output.logits, native.logits)).toBeLessThan(1e-4);
    }

    // Memory is the renderer's, read by the driver from /proc: JS heap figures would miss the WebAssembly memory.
    const { peakRssBytes, modelRssBytes, loadMs, latencyMs } = cell.metrics;
    expect(peakRssBytes).toMatchObject({
      source: 'measured',
      method: expect.stringMatching(
        /^VmHWM of the page's Chromium renderer process .* from \/proc\/<pid>\/status, peak reset \(clear_refs 5\) just before the model loaded$/,
      ),
    });
    expect(modelRssBytes.source).toBe('measured');
    // The model's share only: onnxruntime-web's WebAssembly runtime (about 90 MiB here) started before the baseline.
    if (modelRssBytes.source === 'measured') expect(modelRssBytes.value).toBeGreaterThan(1024 * 1024);
    if (modelRssBytes.source === 'measured') expect(modelRssBytes.value).toBeLessThan(48 * 1024 * 1024);
    expect(loadMs.source).toBe('measured');
    expect(latencyMs).toMatchObject({ source: 'measured', method: expect.stringMatching(/^performance\.now\(\)/) });
    // The browser stays open for the device's next cell until the run releases the device.
    expect(leftoverBrowsers().length).toBeGreaterThan(0);
    await browserDriver.release!(browserSpec());
    expect(leftoverBrowsers()).toEqual([]);

    const facts = await browserDriver.facts(browserSpec({ cpuThrottling: 4, threads: 2 }));
    expect(facts.constraints).toBe(
      `${cell.runtime?.node} headless, onnxruntime-web 1.30.0 WebAssembly (SIMD), 2 threads, CPU throttling 4x (CDP Emulation.setCPUThrottlingRate; nominal: the measured slowdown varies, compare latencies)`,
    );
  }, 60_000);

  it("keeps the browser between a device's cells, each cell in a new renderer of its own; a failed cell closes it", async () => {
    const rendererOf = (events: RunnerEvent[]) => events.find((e) => e.type === 'hello')?.pid;
    const chromedrivers = () =>
      leftoverBrowsers()
        .filter((p) => /chromedriver/.test(p.args.join(' ')))
        .map((p) => p.pid);
    const first: RunnerEvent[] = [];
    const second: RunnerEvent[] = [];
    expect((await inBrowser(jobFor(), { onEvent: (e) => first.push(e) })).cell.status).toBe('ok');
    const [driver] = chromedrivers();
    expect(driver).toBeDefined();
    expect((await inBrowser(jobFor(), { onEvent: (e) => second.push(e) })).cell.status).toBe('ok');
    expect(chromedrivers()).toEqual([driver]);
    // Each cell's page had a renderer process of its own, and the first was gone before the second began.
    expect(rendererOf(second)).toBeDefined();
    expect(rendererOf(second)).not.toBe(rendererOf(first));
    expect(isAlive(rendererOf(first)!)).toBe(false);

    // A cell that fails takes the kept browser down with it: the next cell starts a fresh one.
    let killed = false;
    const third: RunnerEvent[] = [];
    const lost = await inBrowser(jobFor({ iterations: 10_000_000 }), {
      onEvent: (event) => {
        third.push(event);
        if (event.type === 'samples' && event.phase === 'timed' && !killed) {
          killed = true;
          process.kill(rendererOf(third)!, 'SIGKILL');
        }
      },
    });
    expect(lost.cell.status).toBe('failed');
    expect(lost.cell.error?.code).toBe('DEVICE_LOST');
    expect(leftoverBrowsers()).toEqual([]);
  }, 90_000);

  it('generates with the KV cache, from weights in an external data file, the tokens the local driver generates', async () => {
    const decoder = project.path('models/decoder/model.onnx');
    await writeModel(decoder, buildDecoder({ vocabularySize: 256, hiddenSize: 32, layers: 2, heads: 4, ffnSize: 64, maxPositions: 64, seed: 3 }), {
      minBytes: 64,
    });
    expect((await inspectModel(decoder)).externalData.length).toBeGreaterThan(0);
    const prompts = [
      [104, 101, 108, 108, 111],
      [117, 115, 101, 114, 58, 32],
    ];
    const job = jobFor({
      modelPath: decoder,
      task: { kind: 'generate', maxNewTokens: 8, stopTokenIds: [] },
      warmup: 1,
      iterations: 4,
      examples: prompts.map((ids, i) => ({ id: `p${i}`, feeds: { input_ids: { type: 'int64', dims: [1, ids.length], data: ids } } })),
    });
    const browser = await inBrowser(job);
    const local = await onHost(job);
    expect(browser.cell.status).toBe('ok');
    const tokens = (c: CellResult) => c.outputs.map(({ output }) => (output.kind === 'generate' ? output.tokenIds : []));
    expect(tokens(browser.cell)).toEqual(tokens(local.cell));
    expect(tokens(browser.cell)[0]).toHaveLength(8);
    expect(browser.cell.samples.every((s) => s.decodeMs?.length === 7)).toBe(true);
  }, 30_000);

  it('slows the page down under CPU throttling (rate 4: over 1.5x the time per inference of rate 1)', async () => {
    // Throttling suspends the renderer in slices, so single iterations (and, on a busy machine, whole runs) can slip
    // through at full speed: the measure is the total time per inference, over three alternating rounds of each rate.
    const total = { normal: 0, throttled: 0 };
    for (let round = 0; round < 3; round++) {
      const normal = await inBrowser(matMulJob());
      const throttled = await inBrowser(matMulJob(), {}, browserSpec({ cpuThrottling: 4 }));
      for (const { cell } of [normal, throttled]) expect(cell.status, JSON.stringify(cell.error)).toBe('ok');
      expect(throttled.cell.constraints).toContain('CPU throttling 4x (CDP Emulation.setCPUThrottlingRate; nominal');
      total.normal += sum(normal.cell.samples.map((s) => s.latencyMs));
      total.throttled += sum(throttled.cell.samples.map((s) => s.latencyMs));
    }
    expect(total.throttled / total.normal).toBeGreaterThan(1.5);
  }, 120_000);

  it('records a model that onnxruntime-web cannot load as MODEL_LOAD_FAILED', async () => {
    const bad = project.path('models/not-a-model.onnx');
    await writeFile(bad, 'not a model');
    const { cell } = await inBrowser(jobFor({ modelPath: bad }));
    expect(cell.status).toBe('failed');
    expect(cell.error?.code).toBe('MODEL_LOAD_FAILED');
    expect(cell.runtime?.platform).toBe('browser');
    expect(cell.metrics.latencyMs).toMatchObject({ source: 'unavailable', reason: 'the cell failed (MODEL_LOAD_FAILED)' });
  }, 30_000);

  it('records a page whose renderer dies as DEVICE_LOST, keeping the samples pulled before', async () => {
    let rendererPid = 0;
    let killed = false;
    const { cell } = await inBrowser(jobFor({ iterations: 10_000_000 }), {
      onEvent: (event) => {
        if (event.type === 'hello') rendererPid = event.pid!;
        if (event.type === 'samples' && event.phase === 'timed' && !killed) {
          killed = true;
          process.kill(rendererPid, 'SIGKILL');
        }
      },
    });
    expect(cell.status).toBe('failed');
    expect(cell.error?.code).toBe('DEVICE_LOST');
    expect(cell.error?.message).toMatch(/renderer process \(pid \d+\) exited mid-cell/);
    expect(cell.samples.length).toBeGreaterThan(0);
    expect(leftoverBrowsers()).toEqual([]);
  }, 30_000);

  it('stops at the timeout and on Ctrl-C, closing the browser both times', async () => {
    const timedOut = await inBrowser(jobFor({ iterations: 10_000_000 }), { timeoutMs: 8_000 });
    expect(timedOut.cell.error?.code).toBe('TIMEOUT');
    expect(leftoverBrowsers()).toEqual([]);

    const controller = new AbortController();
    const interrupted = await inBrowser(jobFor({ iterations: 10_000_000 }), {
      signal: controller.signal,
      onEvent: (event) => event.type === 'samples' && event.phase === 'timed' && controller.abort(),
    });
    expect(interrupted.cell.error?.code).toBe('INTERRUPTED');
    expect(interrupted.cell.samples.length).toBeGreaterThan(0);
    expect(leftoverBrowsers()).toEqual([]);
  }, 40_000);
});

describe("browser driver: a page whose renderer cannot be told apart from Chromium's others", () => {
  // The page's renderer is the busiest since the runtime began to start; a load that fails in milliseconds can leave renderers
  // tied on CPU ticks, and afterLoad then throws. Here it always throws, around the real renderer memory.
  const untellable = (driverPid: number): PageMemory => {
    const real = rendererMemory(driverPid);
    return {
      beforeStart: () => real.beforeStart(),
      beforeLoad: () => real.beforeLoad(),
      afterLoad: () => {
        throw new Error("the page's renderer process could not be told apart from Chromium's other processes: its memory cannot be measured");
      },
      peak: () => real.peak(),
      exited: () => undefined,
    };
  };
  const drive = async (modelPath: string) => {
    const chromium = await openChromium();
    const served = await runnerRoutes(modelPath, 'onnxruntime-web');
    const server = await startPageServer(served.routes);
    const events: RunnerEvent[] = [];
    try {
      await chromium.openTab();
      await drivePage({
        page: { browser: chromium.browser, name: 'Chromium', memory: untellable(chromium.driverPid!), throttle: async () => undefined },
        origin: server.origin,
        pageJob: pageJobFor(jobFor({ modelPath }), server.origin, served, 1),
        cpuThrottling: 1,
        stop: new AbortController().signal,
        emit: (event) => events.push(event),
      });
      return { events };
    } catch (error) {
      return { events, error };
    } finally {
      await server.close();
      await chromium.close();
    }
  };

  it('reports a failed load as the load failure, with no memory figure', async () => {
    const bad = project.path('models/truncated.onnx');
    await writeFile(bad, (await readFile(project.path('models/small/model.onnx'))).subarray(0, 100));
    const { events, error } = await drive(bad);
    expect(error).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['hello', 'error']);
    expect(events[0]).not.toHaveProperty('pid');
    expect(events[1]).toMatchObject({ type: 'error', code: 'MODEL_LOAD_FAILED' });
  }, 60_000);

  it('refuses a loaded model whose memory cannot be read: DEVICE_UNAVAILABLE', async () => {
    const { events, error } = await drive(project.path('models/small/model.onnx'));
    expect(error).toBeInstanceOf(DeviceFailure);
    expect((error as DeviceFailure).code).toBe('DEVICE_UNAVAILABLE');
    expect((error as DeviceFailure).message).toMatch(/could not be told apart/);
    expect(events).toEqual([]);
  }, 60_000);
});

describe('browser driver: the browsers kept between cells', () => {
  it('closes a browser left idle, and does not hand out one whose chromedriver is gone', async () => {
    const pool = new ChromiumPool(500);
    const idle = await openChromium();
    pool.keep('a', idle);
    expect(pool.size('a')).toBe(1);
    await vi.waitFor(() => expect(isAlive(idle.driverPid!)).toBe(false), { timeout: 20_000, interval: 100 });
    expect(pool.size('a')).toBe(0);
    expect(pool.take('a')).toBeUndefined();

    const dead = await openChromium();
    pool.keep('b', dead);
    const chromium = descendantsOf(dead.driverPid!).filter((p) => p.ppid === dead.driverPid && p.args.some((a) => a.startsWith('--user-data-dir=')));
    expect(chromium).toHaveLength(1);
    process.kill(dead.driverPid!, 'SIGKILL');
    await vi.waitFor(() => expect(isAlive(dead.driverPid!)).toBe(false), { timeout: 10_000, interval: 50 });
    // Its Chromium is no longer this process's descendant, and still running.
    expect(isAlive(chromium[0]!.pid)).toBe(true);
    expect(pool.take('b')).toBeUndefined();
    // take() closed the browser chromedriver left behind, found by its profile folder.
    await vi.waitFor(() => expect(isAlive(chromium[0]!.pid)).toBe(false), { timeout: 30_000, interval: 200 });
  }, 60_000);
});

describe('browser driver: the page server', () => {
  it('serves only the routes it was given, each cross-origin isolated', async () => {
    const secret = await project.write('secret.txt', 'not for the page');
    const server = await startPageServer(
      new Map([
        ['/page.html', { contentType: 'text/html', body: '<p>ok</p>' }],
        ['/data.bin', { contentType: 'application/octet-stream', file: project.path('models/matmul.onnx') }],
      ]),
    );
    try {
      const page = await fetch(`${server.origin}/page.html`);
      expect(page.status).toBe(200);
      expect(await page.text()).toBe('<p>ok</p>');
      expect(
        Object.fromEntries(['cross-origin-opener-policy', 'cross-origin-embedder-policy', 'cross-origin-resource-policy'].map((h) => [h, page.headers.get(h)])),
      ).toEqual({
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cross-origin-resource-policy': 'same-origin',
      });
      expect((await fetch(`${server.origin}/data.bin`)).headers.get('content-length')).toBe(String((await readFile(matMulPath)).length));
      for (const path of ['/', '/secret.txt', '/data.bin/../secret.txt', '/%2e%2e/secret.txt', `/${secret}`, '/page.html/']) {
        const response = await fetch(`${server.origin}${path}`);
        expect(response.status, path).toBe(404);
        expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      }
      expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await server.close();
    }
  });
});
