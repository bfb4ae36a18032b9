import { cp, readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnx } from '../../harness/onnx/proto.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';
import { maxAbs, maxAbsDiff } from '../helpers/models.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
let folder: string;
beforeAll(async () => {
  project = await tempProject();
  folder = project.path('llama-tjs');
  await cp('test/fixtures/models/llama-tjs', folder, { recursive: true });
});
afterAll(() => project.cleanup());

const prompt = [1, 40, 52, 61, 70, 33, 45];
const decode = { useCache: true, newTokens: 6 };

async function firstLogits(file: string) {
  const session = await ort.InferenceSession.create(file);
  const result = await greedyDecode(session, prompt, decode);
  const logitsType = session.outputMetadata.find((m) => m.name === 'logits');
  const pastType = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
  await session.release();
  return {
    result,
    logitsType: logitsType && 'type' in logitsType ? logitsType.type : undefined,
    pastType: pastType && 'type' in pastType ? pastType.type : undefined,
  };
}

describe('--to fp16 and --to q4f16 on llama-tjs', () => {
  it.each([
    ['fp16', 'model_fp16.onnx'],
    ['q4f16', 'model_q4f16.onnx'],
  ] as const)('%s: named as transformers.js names it, float16 KV cache and logits, close to its float32 counterpart', async (to, name) => {
    const { outputFile, manifest } = await quantizeModel({ input: folder, to, output: project.path(`out-${to}/${name}`) });
    expect(manifest.precision).toBe(to);
    // q4f16 is compared with int4 (the same codes, float32 activations and scales): what float16 adds.
    const counterpart =
      to === 'fp16'
        ? `${folder}/onnx/model.onnx`
        : (await quantizeModel({ input: folder, to: 'int4', output: project.path('out-int4/model_q4.onnx') })).outputFile;
    const reference = await firstLogits(counterpart);
    const half = await firstLogits(outputFile);
    expect(half.logitsType).toBe('float16');
    expect(half.pastType).toBe('float16');
    // Stated tolerance: within 2% of the largest reference logit of the first step, and the same greedy tokens.
    const error = maxAbsDiff(half.result.lastLogits[0]!, reference.result.lastLogits[0]!) / maxAbs(reference.result.lastLogits[0]!);
    expect(error).toBeLessThan(0.02);
    expect(half.result.tokens).toEqual(reference.result.tokens);
    const graph = onnx.ModelProto.decode(await readFile(outputFile)).graph!;
    expect(graph.initializer!.some((t) => t.dataType === onnx.TensorProto.DataType.FLOAT)).toBe(false);
    if (to === 'q4f16') {
      const int4 = graph.node!.filter((n) => n.opType === 'MatMulNBits');
      expect(int4).toHaveLength(15);
      expect(graph.node!.some((n) => n.opType === 'GatherBlockQuantized')).toBe(true);
    }
  });

  it('default output names follow transformers.js', async () => {
    const { outputFile } = await quantizeModel({ input: folder, to: 'fp16' });
    expect(outputFile).toBe(`${folder}/onnx/model_fp16.onnx`);
  });

  it('--keep-io-types keeps float32 inputs and outputs around a float16 graph', async () => {
    const { outputFile } = await quantizeModel({ input: folder, to: 'fp16', keepIoTypes: true, output: project.path('keep-io/model_fp16.onnx') });
    const reference = await firstLogits(`${folder}/onnx/model.onnx`);
    const kept = await firstLogits(outputFile);
    expect(kept.logitsType).toBe('float32');
    expect(kept.pastType).toBe('float32');
    expect(maxAbsDiff(kept.result.lastLogits[0]!, reference.result.lastLogits[0]!) / maxAbs(reference.result.lastLogits[0]!)).toBeLessThan(0.02);
  });
});
