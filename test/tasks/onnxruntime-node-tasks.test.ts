import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { onnxruntimeNode } from '../../harness/runtimes/onnxruntime-node.ts';
import type { RuntimeSession } from '../../harness/runtimes/runtime.ts';
import { tensor, tensorFromSpec } from '../../harness/runtimes/tensor.ts';
import { taskRunners } from '../../harness/tasks/registry.ts';
import { greedyDecode } from '../helpers/kv-cache-decoder.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';
import { describeTasksOn, OPTIONS } from '../helpers/runtime-tasks.ts';

describeTasksOn('onnxruntime-node', () => onnxruntimeNode);

let project: TempProject;
let linear: RuntimeSession;
beforeAll(async () => {
  project = await tempProject();
  // y = x @ W with W's column j = [j + 1, -(j + 1), 1].
  await writeModel(
    project.path('linear.onnx'),
    model(
      {
        node: [node('MatMul', ['x', 'W'], ['logits'])],
        initializer: [
          floatTensor(
            'W',
            [3, 4],
            Float32Array.from({ length: 12 }, (_, i) => [(i % 4) + 1, -((i % 4) + 1), 1][Math.floor(i / 4)]!),
          ),
        ],
        input: [tensorValue('x', onnx.TensorProto.DataType.FLOAT, [1, 3])],
        output: [tensorValue('logits', onnx.TensorProto.DataType.FLOAT, [1, 4])],
      },
      [{ version: 17 }],
    ),
  );
  linear = await onnxruntimeNode.load({ location: project.path('linear.onnx') }, OPTIONS);
});
afterAll(async () => {
  await linear.release();
  await project.cleanup();
});

describe('onnxruntime-node as a Runtime', () => {
  it('reports its name and the installed onnxruntime-node version', () => {
    expect(onnxruntimeNode.name).toBe('onnxruntime-node');
    expect(onnxruntimeNode.version()).toBe('1.30.0');
  });

  it("describes a model's inputs and outputs: names, element types and declared shapes", () => {
    expect(linear.inputs).toEqual([{ name: 'x', type: 'float32', shape: [1, 3] }]);
    expect(linear.outputs).toEqual([{ name: 'logits', type: 'float32', shape: [1, 4] }]);
  });

  it('runs one step on runtime-neutral tensors, and passes prepared feeds on without converting them again', async () => {
    const feeds = linear.prepare({ x: tensor('float32', Float32Array.of(1, 0, 0), [1, 3]) });
    expect(linear.prepare(feeds)).toBe(feeds);
    const outputs = await linear.run(feeds);
    expect(outputs.logits!.dims).toEqual([1, 4]);
    expect(Array.from(outputs.logits!.data as Float32Array)).toEqual([1, 2, 3, 4]);
    // Unprepared feeds work too.
    const direct = await linear.run({ x: tensorFromSpec({ type: 'float32', dims: [1, 3], data: [0, 1, 0] }) });
    expect(Array.from(direct.logits!.data as Float32Array)).toEqual([-1, -2, -3, -4]);
  });

  it("fails to load a file that is not a model, with onnxruntime's reason", async () => {
    await project.write('not-a-model.onnx', 'hello');
    await expect(onnxruntimeNode.load({ location: project.path('not-a-model.onnx') }, OPTIONS)).rejects.toThrow(/protobuf|parse|load/i);
  });
});

describe('generate through onnxruntime-node on committed transformers.js exports (test/fixtures/models)', () => {
  const PROMPT = [5, 17, 42, 9];
  const STEPS = 6;
  for (const folder of ['llama-tjs', 'gpt2-tjs']) {
    it(`${folder}: the task's KV-cache loop decodes what full recompute decodes`, async () => {
      const file = join(import.meta.dirname, '..', 'fixtures', 'models', folder, 'onnx', 'model.onnx');
      const reference = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
      const expected = (await greedyDecode(reference, PROMPT, { useCache: false, newTokens: STEPS })).tokens;
      await reference.release();
      const session = await onnxruntimeNode.load({ location: file }, OPTIONS);
      const task = taskRunners.generate(session, { kind: 'generate', maxNewTokens: STEPS, stopTokenIds: [] });
      const result = await task.iterate(
        { id: 'p', feeds: session.prepare({ input_ids: tensor('int64', BigInt64Array.from(PROMPT, BigInt), [1, PROMPT.length]) }) },
        true,
      );
      await session.release();
      if (result.output?.kind !== 'generate') throw new Error('expected a generate output');
      expect(result.output.tokenIds).toEqual(expected);
    });
  }
});
