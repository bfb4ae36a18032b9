import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gguf } from '@huggingface/gguf';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GgufQuant } from '../../harness/core/gguf.ts';
import { codecs } from '../../harness/gguf/codecs.ts';
import { convertToGguf } from '../../harness/gguf/convert-to-gguf.ts';
import { writeGguf, type GgufTensor, type MetadataValue } from '../../harness/gguf/gguf-file.ts';
import { tensorType } from '../../harness/gguf/quant-mix.ts';
import { tokenizerMetadata } from '../../harness/gguf/tokenizer-metadata.ts';
import { llamaCpp } from '../../harness/runtimes/llama-cpp.ts';
import type { RuntimeSession } from '../../harness/runtimes/runtime.ts';
import { tensor } from '../../harness/runtimes/tensor.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';

/**
 * GGUF files edgebench writes, checked by the two readers that matter:
 * @huggingface/gguf parses their headers, and llama.cpp itself (node-llama-cpp's
 * prebuilt binary) loads them and computes the same logits as the fp32 ONNX model.
 */
const LLAMA_TJS = fileURLToPath(new URL('../fixtures/models/llama-tjs/', import.meta.url));
const PROMPTS = [
  [457, 12, 45, 301, 7, 99],
  [457, 200, 3, 88],
];
const RUNTIME_OPTIONS = { intraOpThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' } as const;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgebench-gguf-'));
  await cp(LLAMA_TJS, join(dir, 'llama-tjs'), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function logSoftmax(logits: Float32Array): Float64Array {
  const max = logits.reduce((m, v) => Math.max(m, v), -Infinity);
  const sum = logits.reduce((s, v) => s + Math.exp(v - max), 0);
  return Float64Array.from(logits, (v) => v - max - Math.log(sum));
}

const argmax = (values: ArrayLike<number>) => Array.prototype.indexOf.call(values, Math.max(...Array.from(values))) as number;

/** Last-position logits after each prefix of the prompt, stepping the llama.cpp session with its length-only cache. */
async function llamaLogits(session: RuntimeSession, prompt: number[]): Promise<Float32Array[]> {
  const steps: Float32Array[] = [];
  for (let length = 1; length <= prompt.length; length++) {
    const past = tensor('float32', new Float32Array(0), [1, 1, length - 1, 0]);
    const outputs = await session.run({
      input_ids: tensor('int64', BigInt64Array.of(BigInt(prompt[length - 1]!)), [1, 1]),
      'past_key_values.0.key': past,
      'past_key_values.0.value': past,
    });
    steps.push(Float32Array.from(outputs.logits!.data as Float32Array));
  }
  return steps;
}

/** ONNX fp32 logits at every prompt position (full recompute, no cache). */
async function onnxLogits(prompt: number[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(join(dir, 'llama-tjs/onnx/model.onnx'), { intraOpNumThreads: 1 });
  const steps: Float32Array[] = [];
  for (let length = 1; length <= prompt.length; length++) {
    const { lastLogits } = await greedyDecode(session, prompt.slice(0, length), { useCache: false, newTokens: 1 });
    steps.push(lastLogits[0]!);
  }
  await session.release();
  return steps;
}

/** KL(reference || other) of the next-token distributions, in nats. */
function klDivergence(other: Float32Array, reference: Float32Array): number {
  const [q, p] = [logSoftmax(other), logSoftmax(reference)];
  let kl = 0;
  for (let i = 0; i < p.length; i++) kl += Math.exp(p[i]!) * (p[i]! - q[i]!);
  return kl;
}

describe('edgebench convert --to gguf on the Llama fixture (llama-tjs)', () => {
  const tolerances: Record<GgufQuant, { kl: number; top1: number }> = {
    f16: { kl: 1e-4, top1: 1 },
    q8_0: { kl: 0.01, top1: 0.8 },
    q4_0: { kl: 1, top1: 0.6 },
    q4_k_m: { kl: 0.2, top1: 0.7 },
  };

  for (const quant of ['f16', 'q8_0', 'q4_0', 'q4_k_m'] as const) {
    it(`${quant}: @huggingface/gguf reads the llama.* and tokenizer.ggml.* keys, and llama.cpp's logits match ONNX fp32`, async () => {
      const file = join(dir, `llama-${quant}.gguf`);
      const converted = await convertToGguf({ input: join(dir, 'llama-tjs'), quant, output: file });
      const parsed = await gguf(file, { allowLocalFile: true });
      const metadata = parsed.metadata as Record<string, unknown>;
      expect(metadata.version).toBe(3);
      expect(metadata['general.architecture']).toBe('llama');
      expect(metadata['llama.block_count']).toBe(2);
      expect(metadata['llama.attention.head_count']).toBe(4);
      expect(metadata['llama.attention.head_count_kv']).toBe(2);
      expect(metadata['llama.context_length']).toBe(256);
      expect((metadata['tokenizer.ggml.tokens'] as string[]).length).toBe(459);
      expect(metadata['tokenizer.ggml.model']).toBe('gpt2');
      expect(parsed.tensorInfos).toHaveLength(2 * 9 + 3);
      expect(Object.values(converted.tensorTypes).reduce((a, b) => a + b, 0)).toBe(21);

      const session = await llamaCpp.load({ location: file }, RUNTIME_OPTIONS);
      let top1 = 0;
      let positions = 0;
      let worst = 0;
      for (const prompt of PROMPTS) {
        const [mine, reference] = [await llamaLogits(session, prompt), await onnxLogits(prompt)];
        for (let i = 0; i < prompt.length; i++) {
          worst = Math.max(worst, klDivergence(mine[i]!, reference[i]!));
          if (argmax(mine[i]!) === argmax(reference[i]!)) top1++;
          positions++;
        }
      }
      await session.release();
      expect(worst).toBeLessThan(tolerances[quant].kl);
      expect(top1 / positions).toBeGreaterThanOrEqual(tolerances[quant].top1);
    });
  }

  it('refuses a model that is not Llama-architecture, saying what it converts', async () => {
    await cp(join(LLAMA_TJS, '../gpt2-tjs'), join(dir, 'gpt2-tjs'), { recursive: true });
    await expect(convertToGguf({ input: join(dir, 'gpt2-tjs'), quant: 'f16' })).rejects.toThrow(
      /gpt2: edgebench convert --to gguf writes Llama-architecture models/,
    );
  });
});

describe('K-quant blocks in llama.cpp (rows of 256)', () => {
  /** A random 2-layer Llama with 256-wide rows, so Q4_K and Q6_K are used as such (no 32-block fallback). */
  async function writeModel(file: string, form: 'blocks' | 'dequantized' | 'original'): Promise<void> {
    let state = 7;
    const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 0.5;
    const [hidden, ffn, layers, vocabulary] = [256, 512, 2, 459];
    const shapes: [string, number[]][] = [
      ['token_embd.weight', [hidden, vocabulary]],
      ['output_norm.weight', [hidden]],
      ['output.weight', [hidden, vocabulary]],
    ];
    for (let l = 0; l < layers; l++) {
      shapes.push([`blk.${l}.attn_norm.weight`, [hidden]], [`blk.${l}.ffn_norm.weight`, [hidden]]);
      for (const part of ['attn_q', 'attn_k', 'attn_v', 'attn_output']) shapes.push([`blk.${l}.${part}.weight`, [hidden, hidden]]);
      shapes.push([`blk.${l}.ffn_gate.weight`, [hidden, ffn]], [`blk.${l}.ffn_up.weight`, [hidden, ffn]], [`blk.${l}.ffn_down.weight`, [ffn, hidden]]);
    }
    const tensors: GgufTensor[] = shapes.map(([name, dims]) => {
      const count = dims.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: count }, () => (dims.length === 1 ? 1 : random()));
      const type = tensorType('q4_k_m', { name, dims }, layers, true);
      const quantized = codecs[type].quantize(values);
      if (form === 'blocks') return { name, dims, type, data: quantized };
      return { name, dims, type: 'F32', data: codecs.F32.quantize(form === 'original' ? values : codecs[type].dequantize(quantized, count)) };
    });
    const tokenizer = JSON.parse(await readFile(join(LLAMA_TJS, 'tokenizer.json'), 'utf8')) as unknown;
    const u32 = (value: number): MetadataValue => ({ type: 'uint32', value });
    const metadata = new Map<string, MetadataValue>([
      ['general.architecture', { type: 'string', value: 'llama' }],
      ['llama.context_length', u32(128)],
      ['llama.embedding_length', u32(hidden)],
      ['llama.block_count', u32(layers)],
      ['llama.feed_forward_length', u32(ffn)],
      ['llama.attention.head_count', u32(4)],
      ['llama.attention.head_count_kv', u32(4)],
      ['llama.rope.dimension_count', u32(64)],
      ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
      ...tokenizerMetadata(tokenizer, vocabulary, { bos: 457, eos: 458 }),
    ]);
    await writeGguf(file, { metadata, tensors });
  }

  it('a Q4_K_M file (Q4_K and Q6_K blocks) computes what llama.cpp computes from the same blocks dequantized in JavaScript to F32', async () => {
    const [quantized, dequantized, original] = ['blocks', 'dequantized', 'original'].map((form) => join(dir, `k-quants-${form}.gguf`)) as [
      string,
      string,
      string,
    ];
    await writeModel(quantized, 'blocks');
    await writeModel(dequantized, 'dequantized');
    await writeModel(original, 'original');
    const types = (await gguf(quantized, { allowLocalFile: true })).tensorInfos.map((t) => Number(t.dtype));
    expect(new Set(types)).toEqual(new Set([0, 12, 14])); // F32 norms, Q4_K, Q6_K
    const logits = async (file: string) => {
      const session = await llamaCpp.load({ location: file }, RUNTIME_OPTIONS);
      const steps = await llamaLogits(session, PROMPTS[0]!);
      await session.release();
      return steps;
    };
    const [fromBlocks, fromDequantized, fromOriginal] = [await logits(quantized), await logits(dequantized), await logits(original)];
    let toDequantized = 0;
    let toOriginal = 0;
    for (let i = 0; i < fromBlocks.length; i++) {
      toDequantized += klDivergence(fromBlocks[i]!, fromDequantized[i]!);
      toOriginal += klDivergence(fromBlocks[i]!, fromOriginal[i]!);
    }
    // llama.cpp multiplies K-quant blocks with activations quantized to Q8_K, so the match is close, not exact; but the
    // blocks decode to the JavaScript dequantization far more closely than to the weights before quantization.
    expect(toDequantized).toBeLessThan(toOriginal / 4);
  });
});
