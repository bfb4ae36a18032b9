import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriver } from '../../harness/devices/local.ts';
import { writeModel } from '../../harness/onnx/build.ts';
import { cellResult } from '../../harness/results/cell-result.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { buildDecoder, type DecoderShape } from '../../scripts/demo/decoder.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const SHAPE: DecoderShape = { vocabularySize: 256, hiddenSize: 32, layers: 2, heads: 4, ffnSize: 64, maxPositions: 64, seed: 3 };
const PROMPTS = [
  [104, 101, 108, 108, 111],
  [117, 115, 101, 114, 58, 32],
];

let project: TempProject;
let modelPath: string;
beforeAll(async () => {
  project = await tempProject();
  modelPath = project.path('decoder/model.onnx');
  await writeModel(modelPath, buildDecoder(SHAPE));
});
afterAll(() => project.cleanup());

/** Greedy decoding by full recomputation (no cache): the reference the cached loop must reproduce. */
async function greedyWithoutCache(prompt: number[], steps: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(modelPath);
  const ids = [...prompt];
  const generated: number[] = [];
  const headDim = SHAPE.hiddenSize / SHAPE.heads;
  for (let i = 0; i < steps; i++) {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (_, p) => BigInt(p)),
        [1, ids.length],
      ),
    };
    for (let layer = 0; layer < SHAPE.layers; layer++)
      for (const part of ['key', 'value'])
        feeds[`past_key_values.${layer}.${part}`] = new ort.Tensor('float32', new Float32Array(0), [1, SHAPE.heads, 0, headDim]);
    const logits = (await session.run(feeds)).logits!.data as Float32Array;
    const last = logits.subarray(logits.length - SHAPE.vocabularySize);
    const token = last.indexOf(Math.max(...last));
    generated.push(token);
    ids.push(token);
  }
  await session.release();
  return generated;
}

const job = (overrides: Partial<Extract<RunnerJob['task'], { kind: 'generate' }>> = {}): RunnerJob => ({
  modelPath,
  task: { kind: 'generate', maxNewTokens: 8, stopTokenIds: [], ...overrides },
  warmup: 1,
  iterations: 4,
  runtime: { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' },
  examples: PROMPTS.map((ids, i) => ({ id: `p${i}`, feeds: { input_ids: { type: 'int64', dims: [1, ids.length], data: ids } } })),
});

async function runCell(runnerJob: RunnerJob) {
  const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, runnerJob, { timeoutMs: 60_000 });
  return cellResult({
    deviceId: 'host',
    variant: { name: 'fp32', precision: 'fp32', file: modelPath, files: [{ path: 'model.onnx', bytes: 1, sha256: 'x' }], diskBytes: 1, sha256: 'x' },
    runs: [{ startedAt: new Date(), finishedAt: new Date(), outcome }],
    timeoutMs: 60_000,
  });
}

describe('generate task (greedy decoding with the KV cache, in the real runner)', () => {
  it('produces the same tokens as full recomputation and times prefill and each decode step', async () => {
    const cell = await runCell(job());
    expect(cell.status).toBe('ok');
    for (const [index, prompt] of PROMPTS.entries()) {
      const output = cell.outputs.find((o) => o.exampleId === `p${index}`)!.output;
      if (output.kind !== 'generate') throw new Error('expected a generate output');
      expect(output.tokenIds).toEqual(await greedyWithoutCache(prompt, 8));
      expect(output.firstTokenLogits).toHaveLength(SHAPE.vocabularySize);
      expect(output.tokenProbabilities).toHaveLength(8);
      expect(output.tokenProbabilities.every((p) => p > 0 && p <= 1)).toBe(true);
    }
    // Every timed iteration: one prefill and 7 decode steps; the iteration's latency is their sum.
    expect(cell.samples).toHaveLength(4);
    for (const sample of cell.samples) {
      expect(sample.decodeMs).toHaveLength(7);
      expect(sample.latencyMs).toBeCloseTo(sample.ttftMs! + sample.decodeMs!.reduce((a, b) => a + b, 0), 9);
    }
    expect(cell.metrics.ttftMs).toMatchObject({ source: 'measured', summary: { n: 4 } });
    expect(cell.metrics.decodeTokenMs).toMatchObject({ source: 'measured', summary: { n: 28 } });
    const tokensPerSecond = cell.metrics.decodeTokensPerSecond!;
    if (tokensPerSecond.source !== 'measured') throw new Error('tokens/s should be measured');
    const decodeSum = cell.samples.flatMap((s) => s.decodeMs!).reduce((a, b) => a + b, 0);
    expect(tokensPerSecond.value).toBeCloseTo((28 * 1000) / decodeSum, 6);
  });

  it('stops at a stop token, which is not part of the output', async () => {
    const reference = await greedyWithoutCache(PROMPTS[0]!, 8);
    const stopAt = reference[3]!;
    const cell = await runCell(job({ stopTokenIds: [stopAt] }));
    const output = cell.outputs.find((o) => o.exampleId === 'p0')!.output;
    if (output.kind !== 'generate') throw new Error('expected a generate output');
    expect(output.tokenIds).toEqual(reference.slice(0, reference.indexOf(stopAt)));
  });

  it('fails the cell with a clear message for a model without a KV cache', async () => {
    const classifierLike = project.path('no-cache/model.onnx');
    const { buildClassifier } = await import('../../scripts/demo/classifier.ts');
    await writeModel(classifierLike, buildClassifier({ vocabularySize: 50, embeddingSize: 8, hiddenSize: 8, hiddenLayers: 1, classes: 3, seed: 1 }));
    const cell = await runCell({ ...job(), modelPath: classifierLike });
    expect(cell.error).toMatchObject({ code: 'INFERENCE_FAILED' });
    expect(cell.error?.message).toMatch(/no past_key_values\.N\.key\/value inputs: the generate task needs a decoder exported with past/);
  });
});
