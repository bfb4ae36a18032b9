import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { localDriver } from '../../harness/devices/local.ts';
import { qemuArm64Driver } from '../../harness/devices/qemu-arm64.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import type { RunnerOutcome } from '../../harness/runner/spawn.ts';
import { readModelConfig } from '../../harness/tasks/model-config.ts';
import { writeBfloat16CacheDecoder } from '../helpers/models.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

/** Real exports on the emulated arm64 board (onnxruntime-node's linux-arm64 build under qemu-aarch64): the tokens of the host, or the reason. */
const MODELS = fileURLToPath(new URL('../fixtures/models/', import.meta.url));
const PROMPT = [456, 264, 273, 274, 356, 101, 341, 369, 258, 320, 300]; // genai-gqa/reference.json's prompt

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project?.cleanup());

function generateJob(modelPath: string, prompt = PROMPT): RunnerJob {
  const { cache } = readModelConfig(modelPath);
  return {
    modelPath,
    task: { kind: 'generate', maxNewTokens: 6, stopTokenIds: [], cache },
    warmup: 0,
    iterations: 1,
    runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
    examples: [{ id: 'p0', feeds: { input_ids: { type: 'int64', dims: [1, prompt.length], data: prompt } } }],
  };
}

function cellOf(deviceId: string, modelPath: string, outcome: RunnerOutcome) {
  const variant = { name: 'v', precision: 'fp32' as const, file: modelPath, files: [{ path: 'model.onnx', bytes: 1, sha256: 'x' }], diskBytes: 1, sha256: 'x' };
  return cellResult({ deviceId, variant, runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }], timeoutMs: 120_000 });
}

const board = { id: 'arm64-emu', kind: 'qemu-arm64' as const, qemu: 'qemu-aarch64', cpuModel: 'cortex-a76' };
const onBoard = async (job: RunnerJob) => cellOf('arm64-emu', job.modelPath, await qemuArm64Driver.runCell(board, job, { timeoutMs: 120_000 }));
const onHost = async (job: RunnerJob) => cellOf('host', job.modelPath, await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 60_000 }));
const tokens = (cell: ReturnType<typeof cellOf>) => cell.outputs.map(({ output }) => (output.kind === 'generate' ? output.tokenIds : []));

describe('qemu-arm64 board: onnxruntime-node (linux-arm64) over real decoder exports', () => {
  it.each([
    ['genai-gqa/model.onnx', 'GroupQueryAttention, int4 MatMulNBits, float16 cache'],
    ['llama-tjs/onnx/model_q4f16.onnx', 'transformers.js q4f16: float16 cache and logits'],
  ])(
    '%s (%s): the tokens the host generates',
    async (file, _layout) => {
      const job = generateJob(`${MODELS}${file}`, file.startsWith('genai') ? PROMPT : [1, 15, 27, 40, 8]);
      const [emulated, host] = await Promise.all([onBoard(job), onHost(job)]);
      expect(emulated.status, JSON.stringify(emulated.error)).toBe('ok');
      expect(host.status, JSON.stringify(host.error)).toBe('ok');
      expect(tokens(emulated)).toEqual(tokens(host));
      expect(tokens(emulated)[0]).toHaveLength(6);
    },
    240_000,
  );

  it('records why it cannot run a bfloat16 KV cache: the runtime, its version and the type', async () => {
    const file = project.path('bf16/model.onnx');
    await writeBfloat16CacheDecoder(file);
    const cell = await onBoard({ ...generateJob(file), examples: [{ id: 'p0', feeds: { input_ids: { type: 'int64', dims: [1, 2], data: [1, 2] } } }] });
    expect(cell.status).toBe('failed');
    expect(cell.error?.message).toMatch(/^onnxruntime-node \d+\.\d+\.\d+ cannot (load|run) this model: .*bfloat16/);
  }, 240_000);
});
