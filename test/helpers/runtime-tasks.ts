import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import type { Runtime, RuntimeSession } from '../../harness/runtimes/runtime.ts';
import { tensor, type NamedTensors } from '../../harness/runtimes/tensor.ts';
import { taskRunners } from '../../harness/tasks/registry.ts';
import { buildDecoder, type DecoderShape } from '../../scripts/demo/decoder.ts';
import { tempProject, type TempProject } from './project.ts';

export const OPTIONS = { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;

// logits = x @ W with W's column j = [j + 1, -(j + 1), 1]: for x = [1, 0, 0] class 3 wins, for x = [0, 1, 0] class 0.
const W = Float32Array.from({ length: 12 }, (_, i) => [(i % 4) + 1, -((i % 4) + 1), 1][Math.floor(i / 4)]!);
// Token embeddings E[v] = [v, 10 v, -v]: a sequence's mean-pooled embedding is easy to compute by hand.
const VOCABULARY = 20;
const E = Float32Array.from({ length: VOCABULARY * 3 }, (_, i) => [1, 10, -1][i % 3]! * Math.floor(i / 3));
const DECODER: DecoderShape = { vocabularySize: 64, hiddenSize: 16, layers: 2, heads: 2, ffnSize: 32, maxPositions: 32, seed: 5 };

/**
 * Every task, driven through a Runtime on real sessions of small models whose
 * outputs are known by hand: the same cases for every runtime, so a runtime
 * that reads or passes tensors differently fails them.
 */
export function describeTasksOn(label: string, runtime: () => Runtime): void {
  let project: TempProject;
  const sessions: RuntimeSession[] = [];
  let linear: RuntimeSession;
  let embedder: RuntimeSession;
  let decoder: RuntimeSession;

  async function load(file: string): Promise<RuntimeSession> {
    const session = await runtime().load({ location: file }, OPTIONS);
    sessions.push(session);
    return session;
  }

  beforeAll(async () => {
    project = await tempProject();
    await writeModel(
      project.path('linear.onnx'),
      model(
        {
          node: [node('MatMul', ['x', 'W'], ['logits'])],
          initializer: [floatTensor('W', [3, 4], W)],
          input: [tensorValue('x', onnx.TensorProto.DataType.FLOAT, [1, 3])],
          output: [tensorValue('logits', onnx.TensorProto.DataType.FLOAT, [1, 4])],
        },
        [{ version: 17 }],
      ),
    );
    await writeModel(
      project.path('embedder.onnx'),
      model(
        {
          node: [node('Gather', ['E', 'input_ids'], ['last_hidden_state'], { axis: 0 }), node('Identity', ['attention_mask'], ['mask_copy'])],
          initializer: [floatTensor('E', [VOCABULARY, 3], E)],
          input: [
            tensorValue('input_ids', onnx.TensorProto.DataType.INT64, [1, 'sequence']),
            tensorValue('attention_mask', onnx.TensorProto.DataType.INT64, [1, 'sequence']),
          ],
          output: [
            tensorValue('last_hidden_state', onnx.TensorProto.DataType.FLOAT, [1, 'sequence', 3]),
            tensorValue('mask_copy', onnx.TensorProto.DataType.INT64, [1, 'sequence']),
          ],
        },
        [{ version: 17 }],
      ),
    );
    await writeModel(project.path('decoder.onnx'), buildDecoder(DECODER));
    [linear, embedder, decoder] = await Promise.all([
      load(project.path('linear.onnx')),
      load(project.path('embedder.onnx')),
      load(project.path('decoder.onnx')),
    ]);
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
    await project.cleanup();
  });

  const prepared = (session: RuntimeSession, id: string, feeds: NamedTensors) => ({ id, feeds: session.prepare(feeds) });

  describe(`every task through the Runtime, on a real ${label} session`, () => {
    it('classify: argmax of the first output, with its logits', async () => {
      const task = taskRunners.classify(linear, { kind: 'classify' });
      const first = await task.iterate(prepared(linear, 'a', { x: tensor('float32', Float32Array.of(1, 0, 0), [1, 3]) }), true);
      expect(first.output).toEqual({ kind: 'classify', classIndex: 3, logits: [1, 2, 3, 4] });
      const second = await task.iterate(prepared(linear, 'b', { x: tensor('float32', Float32Array.of(0, 1, 0), [1, 3]) }), true);
      expect(second.output).toMatchObject({ classIndex: 0 });
      expect(second.latencyMs).toBeGreaterThan(0);
      const unrecorded = await task.iterate(prepared(linear, 'b', { x: tensor('float32', Float32Array.of(0, 1, 0), [1, 3]) }), false);
      expect(unrecorded.output).toBeUndefined();
    });

    it('embed: mean-pools [1, sequence, dim] over the positions the attention mask keeps', async () => {
      expect(embedder.inputs.map((i) => [i.name, i.type, i.shape])).toEqual([
        ['input_ids', 'int64', [1, 'sequence']],
        ['attention_mask', 'int64', [1, 'sequence']],
      ]);
      const task = taskRunners.embed(embedder, { kind: 'embed' });
      const feeds = {
        input_ids: tensor('int64', BigInt64Array.of(2n, 4n, 6n, 19n), [1, 4]),
        attention_mask: tensor('int64', BigInt64Array.of(1n, 1n, 1n, 0n), [1, 4]),
      };
      const result = await task.iterate(prepared(embedder, 'e', feeds), true);
      expect(result.output).toEqual({ kind: 'embed', vector: [4, 40, -4] });
    });

    it('forward: one timed pass, outputs not read', async () => {
      const task = taskRunners.forward(linear, { kind: 'forward' });
      const result = await task.iterate(prepared(linear, 'f', { x: tensor('float32', Float32Array.of(1, 2, 3), [1, 3]) }), true);
      expect(result.latencyMs).toBeGreaterThan(0);
      expect(result.output).toBeUndefined();
      expect(result.ttftMs).toBeUndefined();
    });

    it('generate: the KV-cache loop reproduces greedy decoding by full recomputation, through the same session', async () => {
      const prompt = [7, 3, 11];
      const steps = 5;
      const task = taskRunners.generate(decoder, { kind: 'generate', maxNewTokens: steps, stopTokenIds: [] });
      const result = await task.iterate(prepared(decoder, 'g', { input_ids: tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]) }), true);
      if (result.output?.kind !== 'generate') throw new Error('expected a generate output');
      expect(result.output.tokenIds).toEqual(await greedyByRecomputation(decoder, prompt, steps));
      expect(result.output.firstTokenLogits).toHaveLength(DECODER.vocabularySize);
      expect(result.decodeMs).toHaveLength(steps - 1);
      expect(result.latencyMs).toBeCloseTo(result.ttftMs! + result.decodeMs!.reduce((a, b) => a + b, 0), 9);
    });
  });
}

/** Each token from the whole sequence so far, with an empty cache: what the cached loop must reproduce. */
async function greedyByRecomputation(session: RuntimeSession, prompt: number[], steps: number): Promise<number[]> {
  const ids = [...prompt];
  const generated: number[] = [];
  const headDim = DECODER.hiddenSize / DECODER.heads;
  for (let i = 0; i < steps; i++) {
    const feeds: NamedTensors = {
      input_ids: tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
      position_ids: tensor(
        'int64',
        BigInt64Array.from(ids, (_, p) => BigInt(p)),
        [1, ids.length],
      ),
    };
    for (let layer = 0; layer < DECODER.layers; layer++)
      for (const part of ['key', 'value']) feeds[`past_key_values.${layer}.${part}`] = tensor('float32', new Float32Array(0), [1, DECODER.heads, 0, headDim]);
    const logits = (await session.run(feeds)).logits!.data as Float32Array;
    const last = Array.from(logits.subarray(logits.length - DECODER.vocabularySize));
    const token = last.indexOf(Math.max(...last));
    generated.push(token);
    ids.push(token);
  }
  return generated;
}
