import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { startAppiumServer, type AppiumServer } from '../../harness/appium/server.ts';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY, HEADLESS_FLAGS } from '../../harness/browser/chromium.ts';
import { descendantsOf } from '../../harness/system/processes.ts';
import { AppiumDeviceSpec } from '../../harness/core/device-spec.ts';
import { appiumDriver } from '../../harness/devices/appium.ts';
import type { CellContext } from '../../harness/devices/driver.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { buildPlan, type RunPlan } from '../../harness/plan/plan.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { CellResult } from '../../harness/core/results.ts';
import { maxAbsDiff } from '../helpers/models.ts';
import { smallProject, type TempProject } from '../helpers/project.ts';
import { classifyJob } from '../helpers/jobs.ts';

const appiumSpec = (overrides: Partial<z.input<typeof AppiumDeviceSpec>> = {}) =>
  AppiumDeviceSpec.parse({ id: 'appium-chromium', kind: 'appium', ...overrides });

let project: TempProject;
let plan: RunPlan;
beforeAll(async () => {
  project = await smallProject();
  plan = await buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });
});
afterAll(() => project?.cleanup());

const jobFor = (overrides: Partial<RunnerJob> = {}): RunnerJob => classifyJob(plan, overrides);

async function measure(deviceId: string, runCell: () => Promise<RunnerOutcome>) {
  const startedAt = new Date();
  const outcome = await runCell();
  return {
    outcome,
    cell: CellResult.parse(
      cellResult({ deviceId, variant: plan.variants[0]!.variant, runs: [{ startedAt, finishedAt: new Date(), outcome }], timeoutMs: 60_000 }),
    ),
  };
}
const throughAppium = (job: RunnerJob, spec = appiumSpec(), context: Partial<CellContext> = {}) =>
  measure(spec.id, () => appiumDriver.runCell(spec, job, { timeoutMs: 60_000, ...context }));

/**
 * Appium servers, chromedriver and Chromium processes this test process started and did not end. Chromium is
 * found by its profile folder anywhere on the machine: a browser orphaned by a dead server is no longer a descendant.
 */
const leftovers = () =>
  [
    ...descendantsOf(process.pid).filter((p) => p.state !== 'Z' && /appium|chromedriver/.test(p.args.join(' '))),
    ...descendantsOf(1).filter((p) => p.state !== 'Z' && p.args.join(' ').includes('--user-data-dir=/tmp/edgebench-appium-')),
  ].map((p) => p.args.join(' ').slice(0, 200));

describe('appium driver: a real Appium server and its Chromium driver', () => {
  it('runs the runner page in a session opened through a local Appium server, predicting what the local driver predicts', async () => {
    const { cell, outcome } = await throughAppium(jobFor());
    const local = await measure('host', () => localDriver.runCell({ id: 'host', kind: 'local' }, jobFor(), { timeoutMs: 60_000 }));
    expect(cell.error).toBeUndefined();
    expect(cell.status).toBe('ok');
    expect(cell.samples).toHaveLength(15);
    expect(cell.constraints).toMatch(
      /^Chromium \d+\S* through Appium \(a local Appium server\), onnxruntime-web 1\.30\.0 WebAssembly \(SIMD\), 1 thread, no CPU throttling$/,
    );
    const predictions = (c: CellResult) => c.outputs.map(({ output }) => (output.kind === 'classify' ? output.classIndex : -1));
    expect(predictions(cell)).toEqual(predictions(local.cell));
    for (const [k, { output }] of cell.outputs.entries()) {
      const native = local.cell.outputs[k]!.output;
      if (output.kind !== 'classify' || native.kind !== 'classify') throw new Error('expected classify outputs');
      expect(maxAbsDiff(output.logits, native.logits)).toBeLessThan(1e-4);
    }
    // The browser runs on this machine: its renderer is found under the pid the session reports.
    expect(cell.metrics.peakRssBytes).toMatchObject({ source: 'measured', method: expect.stringMatching(/^VmHWM of the page's Chromium renderer process/) });
    expect(outcome.stderrTail).toMatch(/Appium|HTTP/);
    expect(leftovers()).toEqual([]);
  }, 90_000);

  it('applies CPU throttling over WebDriver BiDi (rate 4: over 1.5x the time per inference of rate 1)', async () => {
    const heavy = jobFor({ iterations: 60, warmup: 5 });
    const total = { normal: 0, throttled: 0 };
    for (let round = 0; round < 2; round++) {
      const normal = await throughAppium(heavy);
      const throttled = await throughAppium(heavy, appiumSpec({ cpuThrottling: 4 }));
      for (const { cell } of [normal, throttled]) expect(cell.status).toBe('ok');
      expect(throttled.cell.constraints).toContain('CPU throttling 4x (CDP Emulation.setCPUThrottlingRate over BiDi');
      total.normal += normal.cell.samples.reduce((a, s) => a + s.latencyMs, 0);
      total.throttled += throttled.cell.samples.reduce((a, s) => a + s.latencyMs, 0);
    }
    expect(total.throttled / total.normal).toBeGreaterThan(1.5);
  }, 120_000);

  describe('a remote server, with credentials from the environment', () => {
    let remote: AppiumServer;
    beforeAll(async () => {
      remote = await startAppiumServer({ drivers: ['chromium'] });
    }, 60_000);
    afterAll(() => remote?.stop());

    it('opens its session at the URL, and no credential reaches the results', async () => {
      process.env.EDGEBENCH_TEST_FARM_USER = 'farm-user-7f3a';
      process.env.EDGEBENCH_TEST_FARM_KEY = 'farm-key-secret-91c2';
      try {
        // A grid knows nothing of this machine: the capabilities name its driver and browser, as a farm's documentation would.
        const capabilities = {
          platformName: 'linux',
          'appium:automationName': 'Chromium',
          'appium:executable': CHROMEDRIVER_BINARY,
          'appium:autodownloadEnabled': false,
          'goog:chromeOptions': { binary: CHROMIUM_BINARY, args: [...HEADLESS_FLAGS, `--user-data-dir=${project.path('farm-profile')}`] },
        };
        const spec = appiumSpec({
          id: 'farm',
          server: { url: `${remote.url}/`, usernameEnv: 'EDGEBENCH_TEST_FARM_USER', accessKeyEnv: 'EDGEBENCH_TEST_FARM_KEY' },
          capabilities,
        });
        const { cell } = await throughAppium(jobFor(), spec);
        expect(cell.status).toBe('ok');
        expect(cell.constraints).toContain(`through Appium (${remote.url})`);
        // A browser behind a server is not this machine's to measure: said, not guessed.
        expect(cell.metrics.peakRssBytes).toMatchObject({ source: 'unavailable', reason: expect.stringContaining(`a device behind ${remote.url}`) });
        expect(JSON.stringify(cell)).not.toMatch(/farm-user-7f3a|farm-key-secret-91c2/);
        expect(JSON.stringify(await appiumDriver.facts(spec))).not.toMatch(/farm-user-7f3a|farm-key-secret-91c2/);
      } finally {
        delete process.env.EDGEBENCH_TEST_FARM_USER;
        delete process.env.EDGEBENCH_TEST_FARM_KEY;
      }
    }, 60_000);

    it('names the unset environment variable instead of trying without credentials', async () => {
      const spec = appiumSpec({ id: 'farm', server: { url: remote.url, accessKeyEnv: 'EDGEBENCH_TEST_UNSET_KEY' } });
      expect(await appiumDriver.unavailable!(spec)).toBe(
        'environment variable EDGEBENCH_TEST_UNSET_KEY is not set (device farm reads its credentials from it)',
      );
      const { cell } = await throughAppium(jobFor(), spec);
      expect(cell.error).toMatchObject({ code: 'DEVICE_UNAVAILABLE', message: expect.stringContaining('EDGEBENCH_TEST_UNSET_KEY') });
    });
  });

  it('records an Appium server that dies mid-cell as DEVICE_LOST, keeping the samples pulled before, and the run goes on', async () => {
    let killed = false;
    const { cell } = await throughAppium(jobFor({ iterations: 10_000_000 }), appiumSpec(), {
      onEvent: (event) => {
        if (event.type === 'samples' && event.phase === 'timed' && !killed) {
          killed = true;
          const server = descendantsOf(process.pid).find((p) => p.args.some((a) => a.endsWith('appium/index.js')) && p.args.includes('server'));
          process.kill(server!.pid, 'SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(cell.status).toBe('failed');
    expect(cell.error).toMatchObject({
      code: 'DEVICE_LOST',
      message: expect.stringMatching(/^device appium-chromium: the Appium server killed by SIGKILL mid-cell/),
    });
    expect(cell.samples.length).toBeGreaterThan(0);
    // The browser the dead server had opened is not left running.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(leftovers()).toEqual([]);

    const next = await throughAppium(jobFor());
    expect(next.cell.status).toBe('ok');
  }, 90_000);

  it('stops on Ctrl-C, ending the session, the browser and the server', async () => {
    const controller = new AbortController();
    const { cell } = await throughAppium(jobFor({ iterations: 10_000_000 }), appiumSpec(), {
      signal: controller.signal,
      onEvent: (event) => event.type === 'samples' && event.phase === 'timed' && controller.abort(),
    });
    expect(cell.error?.code).toBe('INTERRUPTED');
    expect(cell.samples.length).toBeGreaterThan(0);
    expect(leftovers()).toEqual([]);
  }, 60_000);
});
