import { cp, readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { dequantizeInt4Blocks, quantizeInt4Blocks } from '../../harness/quantize/int4-blocks.ts';
import { dequantizeInt8Blocks, quantizeInt8Blocks } from '../../harness/quantize/int8-blocks.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import { transposeMatrix } from '../../harness/quantize/targets.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';
import { maxAbs, maxAbsDiff, randomMatrix } from '../helpers/models.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const { FLOAT, INT64 } = onnx.TensorProto.DataType;
const VOCAB = 40;
const HIDDEN = 64;
const ids = [3, 0, 39, 17, 3];

let project: TempProject;
const table = randomMatrix(VOCAB, HIDDEN, 11, 0.05);
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project.cleanup());

/** Gather(table, ids), and with `tied` also logits = embedding @ Transpose(table): one initializer read twice. */
async function writeEmbeddingModel(file: string, tied: boolean): Promise<void> {
  const nodes = [node('Gather', ['table', 'ids'], ['embedding'])];
  const outputs = [tensorValue('embedding', FLOAT, [1, 'n', HIDDEN])];
  if (tied) {
    nodes.push(node('Transpose', ['table'], ['table_t'], { perm: [1, 0] }), node('MatMul', ['embedding', 'table_t'], ['logits']));
    outputs.unshift(tensorValue('logits', FLOAT, [1, 'n', VOCAB]));
  }
  await writeModel(
    file,
    model(
      {
        name: 'embedding',
        node: nodes,
        initializer: [floatTensor('table', [VOCAB, HIDDEN], table)],
        input: [tensorValue('ids', INT64, [1, 'n'])],
        output: outputs,
      },
      [{ version: 17 }],
    ),
  );
}

async function run(file: string): Promise<Record<string, Float32Array>> {
  const session = await ort.InferenceSession.create(file);
  const out = await session.run({ ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, ids.length]) });
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

/** The dequantized table as [vocab, hidden], from the JavaScript reference of each layout. */
function referenceTable(bits: 4 | 8, blockSize: number): Float32Array {
  const kn = transposeMatrix(table, VOCAB, HIDDEN); // rows of the table are the N output features
  const dequantized =
    bits === 4
      ? dequantizeInt4Blocks(quantizeInt4Blocks(kn, HIDDEN, VOCAB, blockSize, true))
      : dequantizeInt8Blocks(quantizeInt8Blocks(kn, HIDDEN, VOCAB, blockSize));
  return transposeMatrix(dequantized, HIDDEN, VOCAB);
}

function gatherRows(values: Float32Array): Float32Array {
  return Float32Array.from(ids.flatMap((id) => Array.from(values.subarray(id * HIDDEN, (id + 1) * HIDDEN))));
}

describe('quantized embedding tables', () => {
  it.each([
    ['int4', 4, 32],
    ['int8', 8, 64],
  ] as const)('%s: GatherBlockQuantized returns the JavaScript reference rows exactly', async (to, bits, blockSize) => {
    const source = project.path(`gather-${to}/model.onnx`);
    await writeEmbeddingModel(source, false);
    const { outputFile, manifest } = await quantizeModel({ input: source, to, blockSize: 32 });
    expect(manifest.quantization).not.toHaveProperty('embeddingBlockSize');
    expect(manifest.layers.embeddings).toEqual(['Gather_embedding']);
    const graph = onnx.ModelProto.decode(await readFile(outputFile)).graph!;
    expect(graph.node!.map((n) => n.opType)).toEqual(['GatherBlockQuantized']);
    expect(graph.initializer!.some((t) => t.dataType === FLOAT && t.dims!.length === 2 && Number(t.dims![1]) === HIDDEN)).toBe(false);
    const { embedding } = await run(outputFile);
    expect(maxAbsDiff(embedding!, gatherRows(referenceTable(bits, blockSize)))).toBeLessThan(1e-7);
    // And the rows are close to the float ones: int8 within 1%, int4 within 15% of the largest value.
    expect(maxAbsDiff(embedding!, gatherRows(table)) / maxAbs(table)).toBeLessThan(bits === 8 ? 0.01 : 0.15);
  });

  it('int4 with --embedding-block-size 16: 16-wide table blocks, shared by the tied head, nearer the float rows', async () => {
    const source = project.path('tied-int4-16-blocks/model.onnx');
    await writeEmbeddingModel(source, true);
    const { outputFile, manifest } = await quantizeModel({ input: source, to: 'int4', blockSize: 32, embeddingBlockSize: 16, accuracyLevel: 0 });
    expect(manifest.quantization).toMatchObject({ to: 'int4', blockSize: 32, embeddingBlockSize: 16 });
    expect(manifest.layers.tiedHeads).toHaveLength(1);
    const graph = onnx.ModelProto.decode(await readFile(outputFile)).graph!;
    const blockSizeOf = (opType: string) => Number(graph.node!.find((n) => n.opType === opType)!.attribute!.find((a) => a.name === 'block_size')!.i);
    expect(blockSizeOf('GatherBlockQuantized')).toBe(16);
    expect(blockSizeOf('MatMulNBits')).toBe(16);
    // The rows themselves, and the head's logits from them, are checked against the reference in the tied test below.
    const error = (rows: Float32Array) => maxAbsDiff(rows, gatherRows(table));
    expect(error(gatherRows(referenceTable(4, 16)))).toBeLessThan(error(gatherRows(referenceTable(4, 32))));
  });

  it.each([
    ['int4', 4, undefined],
    ['int8', 8, undefined],
    ['int4', 4, 16],
  ] as const)(
    '%s: a tied table is quantized once, and the head computes with the same dequantized rows (table blocks %s)',
    async (to, bits, embeddingBlockSize) => {
      const source = project.path(`tied-${to}-${embeddingBlockSize ?? 'default'}/model.onnx`);
      await writeEmbeddingModel(source, true);
      const { outputFile, manifest } = await quantizeModel({
        input: source,
        to,
        blockSize: 32,
        accuracyLevel: 0,
        ...(embeddingBlockSize ? { embeddingBlockSize } : {}),
      });
      expect(manifest.layers.tiedHeads).toHaveLength(1);
      const graph = onnx.ModelProto.decode(await readFile(outputFile)).graph!;
      const big = graph.initializer!.filter((t) => t.dims!.reduce((a, d) => a * Number(d), 1) >= (VOCAB * HIDDEN) / 2);
      expect(big).toHaveLength(1); // one code table, no float copy, no second quantized copy
      expect(big[0]!.rawData!.length).toBe((VOCAB * HIDDEN * bits) / 8);
      const { embedding, logits } = await run(outputFile);
      const dequantized = referenceTable(bits, embeddingBlockSize ?? (bits === 4 ? 32 : 64));
      const rows = gatherRows(dequantized);
      expect(maxAbsDiff(embedding!, rows)).toBeLessThan(1e-7);
      const expected = new Float32Array(ids.length * VOCAB);
      for (let i = 0; i < ids.length; i++)
        for (let v = 0; v < VOCAB; v++) {
          let sum = 0;
          for (let h = 0; h < HIDDEN; h++) sum += rows[i * HIDDEN + h]! * dequantized[v * HIDDEN + h]!;
          expected[i * VOCAB + v] = sum;
        }
      expect(maxAbsDiff(logits!, expected) / maxAbs(expected)).toBeLessThan(1e-4);
    },
  );
});

describe('the tied fixture llama-tied-symbolic', () => {
  const prompt = [1, 40, 52, 61, 70, 33, 45];
  const options = { useCache: true, newTokens: 6, kvHeads: 2, headDim: 16 };
  it.each(['int8', 'int4'] as const)('%s: stores the tied embedding once and decodes close to fp32', async (to) => {
    const folder = project.path(`llama-tied-${to}`);
    await cp('test/fixtures/models/llama-tied-symbolic', folder, { recursive: true });
    const { outputFile, manifest } = await quantizeModel({ input: folder, to });
    expect(manifest.layers.embeddings).toEqual(['/model/embed_tokens/Gather']);
    expect(manifest.layers.tiedHeads).toEqual(['/model/lm_head/MatMul']);
    expect(manifest.layers[to]).toHaveLength(14);
    const graph = onnx.ModelProto.decode(await readFile(outputFile)).graph!;
    const embeddingTensors = graph.initializer!.filter(
      (t) => t.name!.startsWith('model.embed_tokens.weight') && t.dataType !== onnx.TensorProto.DataType.INT64,
    );
    // Codes and scales, nothing else: no float table beside them.
    expect(embeddingTensors.map((t) => t.dataType).sort()).toEqual([FLOAT, onnx.TensorProto.DataType.UINT8].sort());
    const codes = embeddingTensors.find((t) => t.dataType === onnx.TensorProto.DataType.UINT8)!;
    expect(codes.rawData!.length).toBe((461 * 64 * (to === 'int8' ? 8 : 4)) / 8);
    expect(graph.node!.filter((n) => n.opType === 'Transpose' && n.input![0]!.startsWith('model.'))).toHaveLength(0);

    const fp32 = await ort.InferenceSession.create(`${folder}/onnx/model.onnx`);
    const quantized = await ort.InferenceSession.create(outputFile);
    const reference = await greedyDecode(fp32, prompt, options);
    const result = await greedyDecode(quantized, prompt, options);
    // Stated tolerance, relative to the largest fp32 logit of the first step: int8 within 5%, int4 within 25%.
    const error = maxAbsDiff(result.lastLogits[0]!, reference.lastLogits[0]!) / maxAbs(reference.lastLogits[0]!);
    expect(error).toBeLessThan(to === 'int8' ? 0.05 : 0.25);
    if (to === 'int8') expect(result.tokens.slice(0, 3)).toEqual(reference.tokens.slice(0, 3));
    await Promise.all([fp32.release(), quantized.release()]);
  });
});
