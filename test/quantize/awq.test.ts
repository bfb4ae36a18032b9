import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnx } from '../../harness/onnx/proto.ts';
import { AWQ_ALPHA_GRID, activationMagnitudes, awqInt4Blocks } from '../../harness/quantize/awq.ts';
import { gramMatrix } from '../../harness/quantize/gptq.ts';
import { quantizeInt4Blocks } from '../../harness/quantize/int4-blocks.ts';
import { quantizeModel, QuantizeError } from '../../harness/quantize/quantize.ts';
import { fromHalfBits } from '../../harness/runtimes/tensor.ts';
import { fidelity } from '../../harness/stats/fidelity.ts';
import { matmul, randomMatrix, runFloat, writeSingleMatMul } from '../helpers/models.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

const K = 128;
const N = 64;
const OUTLIERS = [5, 40, 97];

/** Activations whose few outlier input channels are 20x the rest, as real LLM layers have them. */
function activations(samples: number, seed: number): Float32Array {
  const x = randomMatrix(samples, K, seed);
  for (let s = 0; s < samples; s++) for (const c of OUTLIERS) x[s * K + c] = x[s * K + c]! * 20;
  return x;
}

function squaredError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum;
}

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project.cleanup());

describe('AWQ scale search', () => {
  it('never loses to round-to-nearest on the calibration rows, and alpha 0 is round-to-nearest itself', () => {
    const weight = randomMatrix(K, N, 3, 0.05);
    const x = activations(256, 7);
    const layer = awqInt4Blocks(weight, K, N, { blockSize: 32, symmetric: true }, activationMagnitudes([x], K), gramMatrix([x], K));
    expect(layer.error).toBeLessThanOrEqual(layer.rtnError);
    expect(layer.alpha).toBeGreaterThan(0);
    expect(AWQ_ALPHA_GRID).toContain(layer.alpha);
    const onlyZero = awqInt4Blocks(weight, K, N, { blockSize: 32, symmetric: true }, activationMagnitudes([x], K), gramMatrix([x], K), [0], [1]);
    expect(onlyZero.inputMultiplier).toBeUndefined();
    expect(onlyZero.blocks.packed).toEqual(quantizeInt4Blocks(weight, K, N, 32, true).packed);
  });
});

describe('quantizeModel --algorithm awq', () => {
  it('lowers the output error of a MatMul with outlier input channels against rtn, in onnxruntime, on held-out rows', async () => {
    const weight = randomMatrix(K, N, 11, 0.05);
    const source = project.path('matmul/model.onnx');
    await writeSingleMatMul(source, weight, K, N);
    const calibration = Array.from({ length: 8 }, (_, i) => ({
      id: String(i),
      feeds: { x: { type: 'float32' as const, dims: [32, K], data: Array.from(activations(32, 100 + i)) } },
    }));
    const int4Calibration = { examples: calibration, source: 'synthetic', sha256: '0'.repeat(64) };
    const rtn = await quantizeModel({ input: source, output: project.path('matmul/rtn.onnx'), to: 'int4' });
    const awq = await quantizeModel({ input: source, output: project.path('matmul/awq.onnx'), to: 'int4', algorithm: 'awq', int4Calibration });

    const heldOut = activations(64, 999);
    const feeds = { x: { data: heldOut, dims: [64, K] } };
    const exact = matmul(heldOut, weight, 64, K, N);
    const rtnError = squaredError(exact, await runFloat(rtn.outputFile, feeds));
    const awqError = squaredError(exact, await runFloat(awq.outputFile, feeds));
    expect(awqError).toBeLessThan(0.8 * rtnError);

    // The file holds the same int4 blocks plus one [K] float vector and the Mul that reads it.
    const graph = onnx.ModelProto.decode(await readFile(awq.outputFile)).graph!;
    expect(graph.node!.map((n) => n.opType)).toEqual(['Mul', 'MatMulNBits']);
    expect(awq.manifest.diskBytes - rtn.manifest.diskBytes).toBeGreaterThanOrEqual(4 * K);
    expect(awq.manifest.diskBytes - rtn.manifest.diskBytes).toBeLessThan(4 * K + 200);
  });

  it('needs calibration activations', async () => {
    const source = project.path('matmul/model.onnx');
    await expect(quantizeModel({ input: source, output: project.path('matmul/none.onnx'), to: 'int4', algorithm: 'awq' })).rejects.toThrow(QuantizeError);
    await expect(quantizeModel({ input: source, output: project.path('matmul/none.onnx'), to: 'int4', algorithm: 'awq' })).rejects.toThrow(
      /--algorithm awq needs calibration activations/,
    );
  });
});

describe('AWQ on the trained decoder', () => {
  const folder = 'test/fixtures/models/trained-decoder';
  const source = join(folder, 'onnx/model.onnx');

  async function documents(file: string, count: number, length: number): Promise<number[][]> {
    const tokenizer = new Tokenizer(
      JSON.parse(await readFile(join(folder, 'tokenizer.json'), 'utf8')),
      JSON.parse(await readFile(join(folder, 'tokenizer_config.json'), 'utf8')),
    );
    const ids = (await readFile(file, 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => [...tokenizer.encode(line, { add_special_tokens: false }).ids, 1024]);
    return Array.from({ length: count }, (_, i) => ids.slice(i * length, (i + 1) * length));
  }

  async function logits(file: string, prompts: number[][]): Promise<Float32Array[]> {
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
    const long = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, BigInt), [1, values.length]);
    const rows: Float32Array[] = [];
    for (const prompt of prompts) {
      const feeds: Record<string, ort.Tensor> = {
        input_ids: long(prompt),
        attention_mask: long(prompt.map(() => 1)),
        position_ids: long(prompt.map((_, i) => i)),
      };
      for (const meta of session.inputMetadata) {
        if (!meta.isTensor || !meta.name.startsWith('past_key_values.')) continue;
        const dims = [1, 2, 0, 32];
        feeds[meta.name] = meta.type === 'float16' ? new ort.Tensor('float16', new Uint16Array(0), dims) : new ort.Tensor('float32', new Float32Array(0), dims);
      }
      const out = (await session.run(feeds, ['logits'])).logits!;
      rows.push(out.type === 'float16' ? Float32Array.from(out.data as Uint16Array, fromHalfBits) : (out.data as Float32Array));
    }
    await session.release();
    return rows;
  }

  /** `count` windows of `length` tokens of the training corpus, as gptq, gptaq and awq calibrate. */
  async function trainCalibration(count: number, length: number) {
    const examples = (await documents('test/fixtures/corpus/train.txt', count, length)).map((ids, i) => ({
      id: `train-${i}`,
      feeds: { input_ids: { type: 'int64' as const, dims: [1, ids.length], data: ids } },
    }));
    return { examples, source: 'test/fixtures/corpus/train.txt', sha256: 'a'.repeat(64) };
  }

  it('runs in onnxruntime close to fp32 (int4 and q4f16), and the manifest records the algorithm and each layer alpha', async () => {
    const int4Calibration = await trainCalibration(16, 64);
    const prompts = await documents('test/fixtures/corpus/heldout.txt', 8, 64);
    const reference = await logits(source, prompts);

    const rtn = await quantizeModel({ input: source, output: project.path('decoder/rtn.onnx'), to: 'int4' });
    const awq = await quantizeModel({ input: source, output: project.path('decoder/awq.onnx'), to: 'int4', algorithm: 'awq', int4Calibration });
    const rtnKl = fidelity(reference, await logits(rtn.outputFile, prompts), 1025).meanKlDivergence;
    const awqFidelity = fidelity(reference, await logits(awq.outputFile, prompts), 1025);
    // Held-out text: AWQ's scales and clipping were searched on train.txt activations only.
    expect(awqFidelity.meanKlDivergence).toBeLessThan(0.2);
    expect(awqFidelity.meanKlDivergence).toBeLessThan(rtnKl);
    expect(awqFidelity.top1Agreement).toBeGreaterThan(0.85);

    const { quantization, layers } = awq.manifest;
    expect(quantization).toMatchObject({ to: 'int4', algorithm: 'awq', calibration: { source: 'test/fixtures/corpus/train.txt', examples: 16 } });
    const alphas = 'awqAlphas' in quantization ? quantization.awqAlphas! : {};
    expect(Object.keys(alphas).sort()).toEqual([...layers.int4].sort());
    for (const alpha of Object.values(alphas)) expect(AWQ_ALPHA_GRID).toContain(alpha);
    const scaled = Object.values(alphas).filter((a) => a > 0).length;
    expect(scaled).toBeGreaterThan(0);
    const graph = onnx.ModelProto.decode(await readFile(awq.outputFile)).graph!;
    expect(graph.node!.filter((n) => n.opType === 'Mul' && n.name?.endsWith('_input_scale'))).toHaveLength(scaled);
    // Only a [K] float vector per scaled layer on top of rtn's bytes.
    expect(awq.manifest.diskBytes - rtn.manifest.diskBytes).toBeLessThan(scaled * (4 * 352 + 200));

    const q4f16 = await quantizeModel({ input: source, output: project.path('decoder/awq-q4f16.onnx'), to: 'q4f16', algorithm: 'awq', int4Calibration });
    expect(q4f16.manifest.quantization).toMatchObject({ to: 'q4f16', algorithm: 'awq' });
    const multipliers = onnx.ModelProto.decode(await readFile(q4f16.outputFile)).graph!.initializer!.filter((t) => t.name?.endsWith('_input_multiplier'));
    expect(multipliers.length).toBeGreaterThan(0);
    for (const t of multipliers) expect(t.dataType).toBe(onnx.TensorProto.DataType.FLOAT16);
    const half = fidelity(reference, await logits(q4f16.outputFile, prompts), 1025);
    expect(half.meanKlDivergence).toBeLessThan(0.2);
    expect(half.top1Agreement).toBeGreaterThan(0.85);
  }, 120_000);

  it('gptq with a zero point per block runs in onnxruntime closer to fp32 than rtn, with the zero points in the file', async () => {
    const int4Calibration = await trainCalibration(16, 64);
    const prompts = await documents('test/fixtures/corpus/heldout.txt', 8, 64);
    const reference = await logits(source, prompts);
    const rtn = await quantizeModel({ input: source, output: project.path('decoder/rtn-asym.onnx'), to: 'int4', symmetric: false });
    const gptq = await quantizeModel({
      input: source,
      output: project.path('decoder/gptq-asym.onnx'),
      to: 'int4',
      symmetric: false,
      algorithm: 'gptq',
      int4Calibration,
    });
    expect(gptq.manifest.quantization).toMatchObject({ to: 'int4', algorithm: 'gptq', symmetric: false });
    // Same layout as asymmetric rtn: the same bytes, a zero-point input on every MatMulNBits.
    expect(gptq.manifest.diskBytes).toBe(rtn.manifest.diskBytes);
    const nbits = onnx.ModelProto.decode(await readFile(gptq.outputFile)).graph!.node!.filter((n) => n.opType === 'MatMulNBits');
    expect(nbits.length).toBeGreaterThan(0);
    for (const n of nbits) expect(n.input).toHaveLength(4);
    const rtnKl = fidelity(reference, await logits(rtn.outputFile, prompts), 1025).meanKlDivergence;
    const gptqKl = fidelity(reference, await logits(gptq.outputFile, prompts), 1025).meanKlDivergence;
    expect(gptqKl).toBeLessThan(rtnKl);
  }, 120_000);

  it('gptaq runs in onnxruntime closer to fp32 than gptq, and gptq than rtn, all three at the same bytes', async () => {
    // 32 windows of 128: matching the float model fits a least-squares target to the calibration rows, and needs enough of them.
    const int4Calibration = await trainCalibration(32, 128);
    const prompts = await documents('test/fixtures/corpus/heldout.txt', 16, 128);
    const reference = await logits(source, prompts);
    const variants = await Promise.all(
      (['rtn', 'gptq', 'gptaq'] as const).map((algorithm) =>
        quantizeModel({
          input: source,
          output: project.path(`decoder/${algorithm}-compare.onnx`),
          to: 'int4',
          ...(algorithm === 'rtn' ? {} : { algorithm, int4Calibration }),
        }),
      ),
    );
    const [rtn, gptq, gptaq] = variants.map((v) => v.manifest);
    expect(gptaq!.quantization).toMatchObject({ to: 'int4', algorithm: 'gptaq', calibration: { examples: 32 } });
    expect(new Set([rtn!.diskBytes, gptq!.diskBytes, gptaq!.diskBytes]).size).toBe(1);
    const [rtnKl, gptqKl, gptaqKl] = await Promise.all(
      variants.map(async (v) => fidelity(reference, await logits(v.outputFile, prompts), 1025).meanKlDivergence),
    );
    expect(gptqKl).toBeLessThan(rtnKl!);
    expect(gptaqKl).toBeLessThan(gptqKl!);
  }, 180_000);
});
