import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { onnx } from '../../harness/onnx/proto.ts';
import { buildDecoder, decodeBytes, decoderParameterCount, encodeBytes, type DecoderShape } from '../../scripts/demo/decoder.ts';

const SHAPE: DecoderShape = { vocabularySize: 256, hiddenSize: 32, layers: 2, heads: 4, ffnSize: 64, maxPositions: 32, seed: 7 };
const HEAD_SIZE = SHAPE.hiddenSize / SHAPE.heads;
const TOLERANCE = 1e-4;

type Cache = Record<string, ort.Tensor>;
interface Step {
  /** logits[b][s] is the vocabulary row for batch item b at position s. */
  logits: Float32Array[][];
  cache: Cache;
}

let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(onnx.ModelProto.encode(buildDecoder(SHAPE)).finish());
});

function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor(
    'int64',
    BigInt64Array.from(rows.flat(), (v) => BigInt(v)),
    [rows.length, rows[0]!.length],
  );
}

function emptyCache(batch: number): Cache {
  const cache: Cache = {};
  for (let layer = 0; layer < SHAPE.layers; layer++) {
    for (const kind of ['key', 'value'])
      cache[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [batch, SHAPE.heads, 0, HEAD_SIZE]);
  }
  return cache;
}

/** Runs the model and turns present.* into the next call's past_key_values.*. */
async function run(ids: number[][], mask: number[][], positions: number[][], past: Cache = emptyCache(ids.length)): Promise<Step> {
  const out = await session.run({ input_ids: int64(ids), attention_mask: int64(mask), position_ids: int64(positions), ...past });
  const data = out.logits!.data as Float32Array;
  const [batch, sequence, vocabulary] = out.logits!.dims as [number, number, number];
  const logits = Array.from({ length: batch }, (_, b) =>
    Array.from({ length: sequence }, (_, s) => data.slice((b * sequence + s) * vocabulary, (b * sequence + s + 1) * vocabulary)),
  );
  const cache: Cache = {};
  for (const [name, tensor] of Object.entries(out)) {
    if (name.startsWith('present.')) cache[name.replace('present.', 'past_key_values.')] = tensor as ort.Tensor;
  }
  return { logits, cache };
}

/** One unpadded sequence, all of it new (no cache). */
function runWhole(ids: number[]): Promise<Step> {
  return run([ids], [ids.map(() => 1)], [ids.map((_, i) => i)]);
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  return a.reduce((max, v, i) => Math.max(max, Math.abs(v - b[i]!)), 0);
}

function argmax(values: Float32Array): number {
  return values.reduce((best, v, i) => (v > values[best]! ? i : best), 0);
}

const PROMPT = encodeBytes('The cache');

describe('buildDecoder', () => {
  it('has the input and output names and shapes of an Optimum decoder exported with past', () => {
    const cacheNames = (prefix: string) => [0, 1].flatMap((i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]);
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', ...cacheNames('past_key_values')]);
    expect(session.outputNames).toEqual(['logits', ...cacheNames('present')]);
    const shapes = (metadata: readonly ort.InferenceSession.ValueMetadata[]) =>
      Object.fromEntries(metadata.map((m) => [m.name, m.isTensor ? [m.type, m.shape] : null]));
    expect(shapes(session.inputMetadata)).toMatchObject({
      input_ids: ['int64', ['batch_size', 'sequence_length']],
      attention_mask: ['int64', ['batch_size', 'total_sequence_length']],
      position_ids: ['int64', ['batch_size', 'sequence_length']],
      'past_key_values.1.value': ['float32', ['batch_size', SHAPE.heads, 'past_sequence_length', HEAD_SIZE]],
    });
    expect(shapes(session.outputMetadata)).toMatchObject({
      logits: ['float32', ['batch_size', 'sequence_length', SHAPE.vocabularySize]],
      'present.0.key': ['float32', ['batch_size', SHAPE.heads, 'total_sequence_length', HEAD_SIZE]],
    });
  });

  it('uses only default-domain opset 17 operators and constant 2-D weights for every projection', () => {
    const proto = buildDecoder(SHAPE);
    const nodes = proto.graph!.node!;
    const initializers = proto.graph!.initializer!;
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(nodes.every((n) => n.domain === '')).toBe(true);
    const rankOf = new Map(initializers.map((t) => [t.name, t.dims!.length]));
    const weighted = nodes.filter((n) => n.opType === 'MatMul' && rankOf.get(n.input![1]) === 2);
    // q, k, v, out, fc_in, fc_out per layer, plus lm_head.
    expect(weighted).toHaveLength(6 * SHAPE.layers + 1);
    const parameters = initializers
      .filter((t) => t.dims!.length > 0 && !t.name!.startsWith('mask.') && !t.name!.endsWith('_shape'))
      .reduce((sum, t) => sum + t.dims!.reduce((a: number, d) => a * Number(d), 1), 0);
    expect(parameters).toBe(decoderParameterCount(SHAPE));
  });

  it('gives the same logits from a prefill plus cached one-token steps as from one pass over the whole sequence', async () => {
    const whole = await runWhole(PROMPT);
    const prefillLength = 4;
    let step = await runWhole(PROMPT.slice(0, prefillLength));
    for (let i = 0; i < prefillLength; i++) expect(maxAbsDifference(step.logits[0]![i]!, whole.logits[0]![i]!)).toBeLessThan(TOLERANCE);
    for (let position = prefillLength; position < PROMPT.length; position++) {
      expect(step.cache['past_key_values.0.key']!.dims).toEqual([1, SHAPE.heads, position, HEAD_SIZE]);
      step = await run([[PROMPT[position]!]], [Array(position + 1).fill(1)], [[position]], step.cache);
      expect(maxAbsDifference(step.logits[0]![0]!, whole.logits[0]![position]!)).toBeLessThan(TOLERANCE);
    }
  });

  it('greedy-decodes the same tokens with the cache as by recomputing the whole sequence', async () => {
    const newTokens = 8;
    const recomputed = [...PROMPT];
    for (let i = 0; i < newTokens; i++) {
      const { logits } = await runWhole(recomputed);
      recomputed.push(argmax(logits[0]!.at(-1)!));
    }
    const cached = [...PROMPT];
    let step = await runWhole(cached);
    for (let i = 0; i < newTokens; i++) {
      const next = argmax(step.logits[0]!.at(-1)!);
      cached.push(next);
      step = await run([[next]], [Array(cached.length).fill(1)], [[cached.length - 1]], step.cache);
    }
    expect(cached).toEqual(recomputed);
    // Random weights should still give varied output, or the comparison above proves little.
    expect(new Set(recomputed.slice(PROMPT.length)).size).toBeGreaterThan(1);
  });

  it('ignores left padding in a batch, in the prefill and in cached steps after it', async () => {
    const short = encodeBytes('Hi there');
    const long = encodeBytes('Good morning');
    const padding = long.length - short.length;
    // Optimum/transformers.js convention: positions count real tokens only; padded slots get position 1.
    const ids = [[...Array(padding).fill(0), ...short], long];
    const mask = [[...Array(padding).fill(0), ...short.map(() => 1)], long.map(() => 1)];
    const positions = [[...Array(padding).fill(1), ...short.map((_, i) => i)], long.map((_, i) => i)];
    const batched = await run(ids, mask, positions);
    const alone = [await runWhole(short), await runWhole(long)];
    for (const b of [0, 1]) expect(maxAbsDifference(batched.logits[b]!.at(-1)!, alone[b]!.logits[0]!.at(-1)!)).toBeLessThan(TOLERANCE);

    const nextIds = [[argmax(alone[0]!.logits[0]!.at(-1)!)], [argmax(alone[1]!.logits[0]!.at(-1)!)]];
    const batchedStep = await run(
      nextIds,
      mask.map((row) => [...row, 1]),
      [[short.length], [long.length]],
      batched.cache,
    );
    for (const b of [0, 1]) {
      const length = b === 0 ? short.length : long.length;
      const aloneStep = await run([nextIds[b]!], [Array(length + 1).fill(1)], [[length]], alone[b]!.cache);
      expect(maxAbsDifference(batchedStep.logits[b]![0]!, aloneStep.logits[0]![0]!)).toBeLessThan(TOLERANCE);
    }
  });

  it('writes identical bytes for the same seed and different weights for another seed', () => {
    const bytes = (shape: DecoderShape) => onnx.ModelProto.encode(buildDecoder(shape)).finish();
    expect(Buffer.compare(bytes(SHAPE), bytes(SHAPE))).toBe(0);
    expect(Buffer.compare(bytes(SHAPE), bytes({ ...SHAPE, seed: SHAPE.seed + 1 }))).not.toBe(0);
  });

  it('rejects a hidden size that the heads do not divide', () => {
    expect(() => buildDecoder({ ...SHAPE, heads: 5 })).toThrow(/hiddenSize \(32\) must be a multiple of heads \(5\)/);
  });
});

describe('byte tokenizer', () => {
  it('round-trips UTF-8 text through byte ids', () => {
    const text = 'naïve café ✓';
    const ids = encodeBytes(text);
    expect(ids.every((id) => id >= 0 && id < 256)).toBe(true);
    expect(ids.length).toBeGreaterThan(text.length);
    expect(decodeBytes(ids)).toBe(text);
  });

  it('rejects ids outside the byte range', () => {
    expect(() => decodeBytes([72, 300])).toThrow(/token id 300 is not a byte/);
  });
});
