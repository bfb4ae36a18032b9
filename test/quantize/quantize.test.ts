import { existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { inspectModel } from '../../harness/onnx/model-file.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { sha256File } from '../../harness/files/hash.ts';
import { readManifest } from '../../harness/quantize/manifest.ts';
import { quantizeModel, QuantizeError } from '../../harness/quantize/quantize.ts';
import { maxAbs, maxAbsDiff, randomMatrix, runFloat, writeSingleMatMul } from '../helpers/models.ts';
import { tempProject, writeSmallModel, type TempProject } from '../helpers/project.ts';

let project: TempProject;
let classifier: string;
const ids = { input_ids: { data: BigInt64Array.from([3n, 17n, 9n, 30n, 2n]), dims: [1, 5] } };
beforeAll(async () => {
  project = await tempProject();
  classifier = await writeSmallModel(project, 'models/classifier/model.onnx', { shape: { embeddingSize: 64, hiddenSize: 256 } });
});
afterAll(() => project.cleanup());

async function quantizationError(file: string, feeds = ids): Promise<number> {
  const reference = await runFloat(classifier, feeds);
  return maxAbsDiff(await runFloat(file, feeds), reference) / maxAbs(reference);
}

describe('quantizeModel', () => {
  // Stated tolerances, relative to the largest fp32 logit: int8 within 3%, int4 within 15%.
  it.each(['dynamic', 'qdq'] as const)('int8 %s: runs in onnxruntime within 3 percent of fp32 and shrinks the model', async (method) => {
    const { outputFile, manifest } = await quantizeModel({
      input: classifier,
      output: project.path(`models/classifier/int8-${method}.onnx`),
      to: 'int8',
      int8Method: method,
    });
    expect(await quantizationError(outputFile)).toBeLessThan(0.03);
    expect(manifest.precision).toBe('int8');
    expect(manifest.layers.int8).toHaveLength(2);
    // MatMul weights shrink 4x; the embedding table (a Gather, not a MatMul) stays float32.
    expect(manifest.diskBytes / manifest.source.diskBytes).toBeLessThan(0.45);
  });

  it('int4: MatMulNBits within 15% of fp32, with the output head kept at int8 on request', async () => {
    const { outputFile, manifest } = await quantizeModel({ input: classifier, to: 'int4', keepInt8: ['*classifier*'] });
    expect(outputFile).toBe(project.path('models/classifier/model_q4.onnx'));
    expect(await quantizationError(outputFile)).toBeLessThan(0.15);
    expect(manifest.layers.int4).toEqual(['MatMul_hidden0.matmul']);
    expect(manifest.layers.int8).toEqual(['MatMul_classifier.matmul']);
    expect(manifest.precision).toBe('mixed');
    const ops = (await readFile(outputFile)).toString('latin1');
    expect(ops).toContain('MatMulNBits');
    expect(ops).toContain('MatMulInteger');
  });

  it('keeps excluded layers in float', async () => {
    const { manifest } = await quantizeModel({
      input: classifier,
      output: project.path('models/classifier/partial.onnx'),
      to: 'int8',
      exclude: ['MatMul_classifier*'],
    });
    expect(manifest.layers).toMatchObject({ int8: ['MatMul_hidden0.matmul'], int4: [], keptFloat: ['MatMul_classifier.matmul'] });
  });

  it('static int8: calibrates activation ranges (min-max and percentile) and stays within 3% of fp32', async () => {
    const examples = Array.from({ length: 20 }, (_, i) => ({
      id: `c${i}`,
      feeds: { input_ids: { type: 'int64' as const, dims: [1, 4], data: [i % 50, (i * 7) % 50, (i * 3) % 50, 1] } },
    }));
    for (const method of ['minmax', 'percentile'] as const) {
      const { outputFile, manifest } = await quantizeModel({
        input: classifier,
        output: project.path(`models/classifier/static-${method}.onnx`),
        to: 'int8',
        int8Method: 'static',
        calibration: { method, percentile: 99.9, examples, dataset: 'calibration.jsonl', datasetSha256: 'f'.repeat(64) },
      });
      expect(await quantizationError(outputFile)).toBeLessThan(0.03);
      expect(manifest.quantization).toMatchObject({ to: 'int8', method: 'static', calibration: { method, examples: 20 } });
      expect((await readFile(outputFile)).toString('latin1')).toContain('QuantizeLinear');
    }
  });

  it('writes a manifest whose hashes match the files and name the source model', async () => {
    const { outputFile, manifestFile } = await quantizeModel({ input: classifier, output: project.path('models/classifier/hashed.onnx'), to: 'int8' });
    const manifest = await readManifest(manifestFile);
    expect(manifestFile).toBe(project.path('models/classifier/hashed.manifest.json'));
    expect(manifest.files).toEqual([{ path: 'hashed.onnx', bytes: (await stat(outputFile)).size, sha256: await sha256File(outputFile) }]);
    expect(manifest.source).toMatchObject({ model: 'model.onnx', diskBytes: (await stat(classifier)).size });
    expect(manifest.quantization).toMatchObject({ to: 'int8', method: 'dynamic' });
  });

  it('reads external data and writes the variant with external data too', async () => {
    const external = await writeSmallModel(project, 'models/external/model.onnx', { externalData: true, shape: { embeddingSize: 64, hiddenSize: 256 } });
    const { outputFile, manifest } = await quantizeModel({ input: external, to: 'int4' });
    expect(manifest.files.map((f) => f.path)).toEqual(['model_q4.onnx', 'model_q4.onnx.data']);
    expect((await inspectModel(outputFile)).externalData).toHaveLength(1);
    expect(maxAbsDiff(await runFloat(outputFile, ids), await runFloat(project.path('models/classifier/model_q4.onnx'), ids))).toBeLessThan(0.2);
  });

  it('finds the model in a Hugging Face / transformers.js folder and uses its file names', async () => {
    await writeSmallModel(project, 'hf-model/onnx/model.onnx');
    await writeFile(project.path('hf-model/tokenizer.json'), '{}');
    expect((await quantizeModel({ input: project.path('hf-model'), to: 'int8' })).outputFile).toBe(project.path('hf-model/onnx/model_quantized.onnx'));
    expect((await quantizeModel({ input: project.path('hf-model'), to: 'int4' })).outputFile).toBe(project.path('hf-model/onnx/model_q4.onnx'));
  });

  it('quantizes Gemm (transB, alpha, beta, bias) like MatMul', async () => {
    const [k, n] = [96, 40];
    const b = randomMatrix(n, k, 5, 0.1); // stored [N, K] with transB = 1, as PyTorch's Linear exports
    const file = project.path('models/gemm/model.onnx');
    await writeModel(
      file,
      model(
        {
          node: [node('Gemm', ['x', 'B', 'C'], ['y'], { transB: 1, alpha: { float: 0.5 }, beta: { float: 2 } })],
          initializer: [floatTensor('B', [n, k], b), floatTensor('C', [n], randomMatrix(1, n, 6))],
          input: [tensorValue('x', onnx.TensorProto.DataType.FLOAT, [2, k])],
          output: [tensorValue('y', onnx.TensorProto.DataType.FLOAT, [2, n])],
        },
        [{ version: 17 }],
      ),
    );
    const feeds = { x: { data: randomMatrix(2, k, 7), dims: [2, k] } };
    const reference = await runFloat(file, feeds);
    for (const to of ['int8', 'int4'] as const) {
      const { outputFile } = await quantizeModel({ input: file, to });
      expect(maxAbsDiff(await runFloat(outputFile, feeds), reference) / maxAbs(reference)).toBeLessThan(to === 'int8' ? 0.03 : 0.15);
    }
  });

  describe('errors', () => {
    const reason = async (promise: Promise<unknown>) => {
      const error = await promise.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(QuantizeError);
      return `${(error as QuantizeError).message} | fix: ${(error as QuantizeError).fix}`;
    };

    it('a model without quantizable weights', async () => {
      const file = project.path('models/add-only.onnx');
      await writeModel(
        file,
        model({ node: [node('Add', ['x', 'x'], ['y'])], input: [tensorValue('x', 1, [2])], output: [tensorValue('y', 1, [2])] }, [{ version: 17 }]),
      );
      expect(await reason(quantizeModel({ input: file, to: 'int8' }))).toMatch(
        /has no quantizable weights: no MatMul or Gemm reads a constant 2-D float32 weight/,
      );
    });

    it('a missing or unreadable model', async () => {
      expect(await reason(quantizeModel({ input: project.path('nope.onnx'), to: 'int8' }))).toMatch(/nope\.onnx: model file not found/);
      await writeFile(project.path('garbage.onnx'), 'definitely not protobuf');
      expect(await reason(quantizeModel({ input: project.path('garbage.onnx'), to: 'int4' }))).toMatch(/not a valid ONNX model/);
    });

    it('an output path that would overwrite the input', async () => {
      const before = await sha256File(classifier);
      expect(await reason(quantizeModel({ input: classifier, output: classifier, to: 'int8' }))).toMatch(
        /would overwrite the input model .*\| fix: choose another --output path/,
      );
      expect(await sha256File(classifier)).toBe(before);
    });

    it('static int8 without a calibration set, and an opset too old for per-channel QDQ', async () => {
      expect(await reason(quantizeModel({ input: classifier, output: project.path('s.onnx'), to: 'int8', int8Method: 'static' }))).toMatch(
        /static int8 needs a calibration set/,
      );
      const old = project.path('models/opset11.onnx');
      await writeSingleMatMul(old, randomMatrix(8, 4, 1), 8, 4);
      const proto = onnx.ModelProto.decode(await readFile(old));
      proto.opsetImport[0]!.version = 11;
      await writeFile(old, onnx.ModelProto.encode(proto).finish());
      expect(await reason(quantizeModel({ input: old, to: 'int8', int8Method: 'qdq' }))).toMatch(/needs ONNX opset 13 or newer; the model uses opset 11/);
      expect(existsSync(project.path('models/opset11_quantized.onnx'))).toBe(false);
    });
  });
});
