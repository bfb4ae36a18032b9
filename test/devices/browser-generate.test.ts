import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY } from '../../harness/browser/chromium.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { browserDriver } from '../../harness/devices/browser.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { readModelConfig } from '../../harness/tasks/model-config.ts';
import { writeBfloat16CacheDecoder } from '../helpers/models.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

/** Real exports in onnxruntime-web (wasm) in headless Chromium: what the browser device kind can and cannot run. */
const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const PROMPT = [456, 264, 273, 274, 356, 101, 341, 369, 258, 320, 300]; // genai-gqa/reference.json's prompt

let project: TempProject;
beforeAll(async () => {
  for (const binary of [CHROMIUM_BINARY, CHROMEDRIVER_BINARY]) {
    if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does)`);
  }
  project = await tempProject();
});
afterAll(() => project?.cleanup());
// The browser is kept open between cells until the device is released, as a run does at its end.
afterAll(() => browserDriver.release!({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads: 1 }));

function generateJob(modelPath: string): RunnerJob {
  const { cache } = readModelConfig(modelPath);
  return {
    modelPath,
    task: { kind: 'generate', maxNewTokens: 6, stopTokenIds: [], cache },
    warmup: 0,
    iterations: 1,
    runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    examples: [{ id: 'p0', feeds: { input_ids: { type: 'int64', dims: [1, PROMPT.length], data: PROMPT } } }],
  };
}

function cellOf(deviceId: string, modelPath: string, outcome: RunnerOutcome) {
  const variant = { name: 'v', precision: 'fp32' as const, file: modelPath, files: [{ path: 'model.onnx', bytes: 1, sha256: 'x' }], diskBytes: 1, sha256: 'x' };
  return cellResult({ deviceId, variant, runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }], timeoutMs: 60_000 });
}

const inBrowser = async (job: RunnerJob) =>
  cellOf('chromium', job.modelPath, await browserDriver.runCell({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads: 1 }, job, { timeoutMs: 60_000 }));
const onHost = async (job: RunnerJob) => cellOf('host', job.modelPath, await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 60_000 }));
const tokens = (cell: ReturnType<typeof cellOf>) => cell.outputs.map(({ output }) => (output.kind === 'generate' ? output.tokenIds : []));

describe('browser device: onnxruntime-web over real decoder exports', () => {
  it('runs com.microsoft GroupQueryAttention with int4 MatMulNBits and a float16 cache (genai-gqa), generating the host tokens', async () => {
    const job = generateJob(`${MODELS}genai-gqa/model.onnx`);
    const [browser, host] = [await inBrowser(job), await onHost(job)];
    expect(browser.status, JSON.stringify(browser.error)).toBe('ok');
    expect(tokens(browser)).toEqual(tokens(host));
    expect(tokens(browser)[0]).toHaveLength(6);
  }, 60_000);

  it('records why it cannot run a bfloat16 KV cache: the runtime, its version and the type', async () => {
    const file = project.path('bf16/model.onnx');
    await writeBfloat16CacheDecoder(file);
    const job = { ...generateJob(file), examples: [{ id: 'p0', feeds: { input_ids: { type: 'int64' as const, dims: [1, 2], data: [1, 2] } } }] };
    const cell = await inBrowser(job);
    expect(cell.status).toBe('failed');
    expect(cell.error?.message).toMatch(/^onnxruntime-web \d+\.\d+\.\d+ cannot (load|run) this model: .*bfloat16/);
  }, 60_000);
});
