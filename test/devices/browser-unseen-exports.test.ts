import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMEDRIVER_BINARY, CHROMIUM_BINARY } from '../../harness/browser/chromium.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { browserDriver } from '../../harness/devices/browser.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { readModelConfig } from '../../harness/tasks/model-config.ts';

// The browser is kept open between cells until the device is released, as a run does at its end.
afterAll(() => browserDriver.release!({ id: 'chromium', kind: 'browser', cpuThrottling: 1, threads: 1 }));

/**
 * torch.onnx.export folders with other exporters' habits (scripts/fixtures/torch_exports.py) in onnxruntime-web
 * (wasm) in headless Chromium: the tokens the host generates, and, for a graph no onnxruntime runs, the reason.
 */
const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const PROMPT = [30, 41, 52, 63, 74, 85];

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

describe('browser device: onnxruntime-web over torch.onnx.export folders it has never seen', () => {
  it.each([
    ['unseen-step-op16', 'a decode-step graph fixed at one token, fed the prompt token by token'],
    ['unseen-neox-op17', 'opset 17 LayerNormalization, symbolic heads, weights in model.onnx.data'],
  ])(
    '%s (%s) generates the host tokens',
    async (folder) => {
      for (const binary of [CHROMIUM_BINARY, CHROMEDRIVER_BINARY]) {
        if (!existsSync(binary)) throw new Error(`${binary} not found: install Debian's chromium and chromium-driver (bash scripts/setup.sh does)`);
      }
      const job = generateJob(`${MODELS}${folder}/onnx/model.onnx`);
      const [browser, host] = [await inBrowser(job), await onHost(job)];
      expect(browser.status, JSON.stringify(browser.error)).toBe('ok');
      expect(host.status, JSON.stringify(host.error)).toBe('ok');
      expect(tokens(browser)).toEqual(tokens(host));
      expect(tokens(browser)[0]).toHaveLength(6);
    },
    60_000,
  );

  it("records why it cannot run torch's ATen fallback nodes: the runtime, its version and the operator", async () => {
    const cell = await inBrowser(generateJob(`${MODELS}unseen-aten-fallback/onnx/model.onnx`));
    expect(cell.status).toBe('failed');
    expect(cell.error?.message).toMatch(
      /^onnxruntime-web \d+\.\d+\.\d+ cannot load this model: .*org\.pytorch\.aten:ATen\(-1\) is not a registered function\/op/,
    );
  }, 60_000);
});
