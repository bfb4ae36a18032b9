import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gguf } from '@huggingface/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { llamaCpp } from '../../harness/runtimes/llama-cpp.ts';
import { onnxruntimeNode } from '../../harness/runtimes/onnxruntime-node.ts';
import type { RuntimeSession } from '../../harness/runtimes/runtime.ts';
import { readModelConfig } from '../../harness/tasks/model-config.ts';
import { positionLogProbs, windowPass } from '../../harness/tasks/perplexity.run.ts';
import { loadTokenizer } from '../../harness/tasks/tokenizer.ts';

/**
 * The trained decoder (a torch 1.13 export, whose output head is the unnamed /model/MatMul) as GGUF, and the
 * perplexity task's window pass on llama.cpp: every position's distribution, as the ONNX fp32 model gives it.
 */
const TRAINED = fileURLToPath(new URL('../fixtures/models/trained-decoder/', import.meta.url));
const HELDOUT = fileURLToPath(new URL('../fixtures/corpus/heldout.txt', import.meta.url));
const RUNTIME_OPTIONS = { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;

let dir: string;
let tokens: number[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-gguf-perplexity-'));
  const line = (await readFile(HELDOUT, 'utf8')).split('\n')[0]!;
  tokens = loadTokenizer(join(TRAINED, 'tokenizer.json'), HELDOUT).encode(line).slice(0, 48);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Each position's log-softmax of one window pass (the perplexity task's own code). */
async function windowRows(session: RuntimeSession, modelPath: string): Promise<Float64Array[]> {
  const pass = windowPass(session, readModelConfig(modelPath).cache);
  const { logits } = await pass.run(pass.feeds(tokens));
  const at = positionLogProbs(logits, tokens.length);
  return tokens.map((_, i) => at(i));
}

const kl = (p: Float64Array, q: Float64Array) => p.reduce((sum, lp, i) => sum + Math.exp(lp) * (lp - q[i]!), 0);
const argmax = (row: Float64Array) => row.indexOf(Math.max(...row));

describe('the trained decoder on llama.cpp', () => {
  it('converts: the head MatMul outside the layers, hidden size to vocabulary, becomes output.weight', async () => {
    const file = join(dir, 'trained-q8_0.gguf');
    await convertToGguf({ input: TRAINED, quant: 'q8_0', output: file });
    const parsed = await gguf(file, { allowLocalFile: true });
    const head = parsed.tensorInfos.find((t) => t.name === 'output.weight');
    expect(head?.shape.map(Number)).toEqual([128, 1025]);
  });

  it("a perplexity window on llama.cpp (f16) gives every position's distribution, matching ONNX fp32", async () => {
    expect(tokens.length).toBeGreaterThan(16);
    const file = join(dir, 'trained-f16.gguf');
    await convertToGguf({ input: TRAINED, quant: 'f16', output: file });
    const llama = await llamaCpp.load({ location: file }, RUNTIME_OPTIONS);
    const mine = await windowRows(llama, file);
    await llama.release();
    const onnxFile = join(TRAINED, 'onnx/model.onnx');
    const onnx = await onnxruntimeNode.load({ location: onnxFile }, RUNTIME_OPTIONS);
    const reference = await windowRows(onnx, onnxFile);
    await onnx.release();

    expect(mine).toHaveLength(tokens.length);
    const divergences = reference.map((p, i) => kl(p, mine[i]!));
    expect(Math.max(...divergences)).toBeLessThan(1e-3);
    expect(reference.every((p, i) => argmax(p) === argmax(mine[i]!))).toBe(true);
  });
});
