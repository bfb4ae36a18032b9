import { stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriver } from '../../harness/devices/local.ts';
import { buildPlan, type RunPlan } from '../../harness/plan/plan.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import { CellResult } from '../../harness/core/results.ts';
import { smallProject, writeSmallModel, type TempProject } from '../helpers/project.ts';
import { classifyJob } from '../helpers/jobs.ts';

let project: TempProject;
let plan: RunPlan;
beforeAll(async () => {
  project = await smallProject();
  plan = await buildPlan({ suiteFile: project.path('suites/small.yaml'), devicesFile: project.path('devices.yaml') });
});
afterAll(() => project.cleanup());

const spec = { id: 'host', kind: 'local' } as const;
const jobFor = (overrides: Partial<RunnerJob> = {}): RunnerJob => classifyJob(plan, overrides);

async function run(job: RunnerJob, context: Partial<Parameters<typeof localDriver.runCell>[2]> = {}) {
  const startedAt = new Date();
  const outcome = await localDriver.runCell(spec, job, { timeoutMs: 60_000, ...context });
  return {
    outcome,
    cell: CellResult.parse(
      cellResult({
        deviceId: 'host',
        variant: plan.variants[0]!.variant,
        runs: [{ startedAt, finishedAt: new Date(), outcome }],
        timeoutMs: context.timeoutMs ?? 60_000,
      }),
    ),
  };
}

describe('local driver with the real runner', () => {
  it('measures a real model in a child process and streams every sample', async () => {
    const streamed: string[] = [];
    let timedSamplesStreamed = 0;
    const { outcome, cell } = await run(jobFor(), {
      onEvent: (e) => {
        streamed.push(e.type);
        if (e.type === 'samples' && e.phase === 'timed') timedSamplesStreamed += e.latenciesMs.length;
      },
    });
    expect(cell.status).toBe('ok');
    expect(streamed[0]).toBe('hello');
    expect(streamed.at(-1)).toBe('done');
    expect(timedSamplesStreamed).toBe(15);
    expect(cell.warmupLatenciesMs).toHaveLength(2);
    expect(cell.samples.map((s) => s.iteration)).toEqual([...Array(15).keys()]);
    // Examples are used in turn: iteration i uses example i mod 10.
    expect(cell.samples[12]!.exampleId).toBe('ex-2');
    expect(cell.samples.every((s) => s.latencyMs > 0)).toBe(true);
    // One prediction per example seen in the timed loop, each a valid class of the 4-class model.
    expect(cell.outputs).toHaveLength(10);
    for (const { output } of cell.outputs) {
      if (output.kind !== 'classify') throw new Error(`expected classify outputs, got ${output.kind}`);
      expect(output.logits).toHaveLength(4);
      expect(output.logits[output.classIndex]).toBe(Math.max(...output.logits));
    }

    const { latencyMs, loadMs, peakRssBytes, rssBeforeLoadBytes, modelRssBytes } = cell.metrics;
    expect(latencyMs.source).toBe('measured');
    if (latencyMs.source === 'measured') {
      expect(latencyMs.summary.n).toBe(15);
      expect(latencyMs.summary.p50).toBeLessThanOrEqual(latencyMs.summary.p99);
    }
    expect(loadMs.source).toBe('measured');
    expect(peakRssBytes).toMatchObject({ source: 'measured', method: 'VmHWM from /proc/self/status' });
    if (peakRssBytes.source === 'measured' && rssBeforeLoadBytes.source === 'measured' && modelRssBytes.source === 'measured') {
      expect(peakRssBytes.value).toBeGreaterThan(rssBeforeLoadBytes.value);
      expect(modelRssBytes.value).toBe(peakRssBytes.value - rssBeforeLoadBytes.value);
    }
    // The runner process is not the test process.
    const hello = outcome.events.find((e) => e.type === 'hello');
    expect(hello && 'pid' in hello ? hello.pid : process.pid).not.toBe(process.pid);
    expect(cell.runtime).toMatchObject({ node: process.version, onnxruntime: '1.30.0' });
  });

  it('gives each variant its own process, so a larger model shows a larger peak RSS', async () => {
    const big = await writeSmallModel(project, 'models/big/model.onnx', { shape: { embeddingSize: 1024, hiddenSize: 4096 } });
    const small = await run(jobFor());
    const large = await run(jobFor({ modelPath: big }));
    const value = (c: typeof small.cell) => (c.metrics.modelRssBytes.source === 'measured' ? c.metrics.modelRssBytes.value : 0);
    // Loaded weights are resident: the larger model's own share grows with its extra weight bytes
    // (by at least half of them: onnxruntime may repack weights, the allocator rounds).
    const extraWeightBytes = (await stat(big)).size - (await stat(plan.variants[0]!.modelPath)).size;
    expect(extraWeightBytes).toBeGreaterThan(16 * 1024 * 1024);
    expect(value(large.cell) - value(small.cell)).toBeGreaterThan(extraWeightBytes * 0.5);
  });

  it('records a model that onnxruntime cannot load as a failed cell, not a crash', async () => {
    const bad = project.path('models/not-a-model.onnx');
    await writeFile(bad, 'not a model');
    const { cell } = await run(jobFor({ modelPath: bad }));
    expect(cell.status).toBe('failed');
    expect(cell.error?.code).toBe('MODEL_LOAD_FAILED');
    expect(cell.metrics.latencyMs).toMatchObject({ source: 'unavailable', reason: 'the cell failed (MODEL_LOAD_FAILED)' });
    expect(cell.metrics.diskBytes.source).toBe('measured');
  });

  it('checks the job before it leaves: a job off the protocol fails its cell without starting a runner', async () => {
    const { outcome } = await run({ ...jobFor(), iterations: 0 });
    expect(outcome.exitCode).toBeUndefined();
    expect(outcome.events).toEqual([expect.objectContaining({ type: 'error', code: 'JOB_INVALID', message: expect.stringMatching(/iterations/) })]);
  });

  it('a runner fed something other than a job says so', async () => {
    const { execa } = await import('execa');
    const { runnerBundle } = await import('../../harness/runner/bundle.ts');
    const child = await execa(process.execPath, [await runnerBundle()], { input: '{"task": "classify"}', reject: false });
    expect(child.exitCode).toBe(1);
    expect(JSON.parse(child.stdout)).toMatchObject({ type: 'error', code: 'JOB_INVALID', message: expect.stringMatching(/not a runner job/) });
  });

  it('records a runner killed by the kernel (as the OOM killer does) with what it measured so far', async () => {
    let killed = false;
    let pid = 0;
    const { cell } = await run(jobFor({ iterations: 1_000_000 }), {
      onEvent: (event) => {
        if (event.type === 'hello') pid = event.pid!;
        // The first batch arrives after about 0.5 s of timed iterations.
        if (event.type === 'samples' && event.phase === 'timed' && !killed) {
          killed = true;
          process.kill(pid, 'SIGKILL');
        }
      },
    });
    expect(cell.status).toBe('failed');
    expect(cell.error?.code).toBe('RUNNER_KILLED');
    expect(cell.error?.message).toMatch(/SIGKILL .*OOM killer/);
    expect(cell.samples.length).toBeGreaterThan(100);
    expect(cell.metrics.loadMs.source).toBe('measured');
  });

  it('stops a cell that exceeds its timeout', async () => {
    // Long enough for the first batch of timed samples to arrive on a loaded machine (about 0.5 s of iterations
    // after a load of a few hundred ms when idle), far shorter than the million iterations asked for.
    const { cell } = await run(jobFor({ iterations: 1_000_000 }), { timeoutMs: 6000 });
    expect(cell.error?.code).toBe('TIMEOUT');
    expect(cell.samples.length).toBeGreaterThan(0);
  });

  it('stops the runner when the run is interrupted', async () => {
    const controller = new AbortController();
    const { cell } = await run(jobFor({ iterations: 1_000_000 }), {
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'samples' && event.phase === 'timed') controller.abort();
      },
    });
    expect(cell.error?.code).toBe('INTERRUPTED');
  });
});
