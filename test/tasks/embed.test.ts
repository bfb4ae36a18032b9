import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDriver } from '../../harness/devices/local.ts';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import type { RunnerJob } from '../../harness/core/runner-protocol.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project.cleanup());

// Token embeddings E[v] = [v, 10 v, -v]: a sequence's mean-pooled embedding is easy to compute by hand.
const VOCABULARY = 20;
const table = Float32Array.from({ length: VOCABULARY * 3 }, (_, i) => [1, 10, -1][i % 3]! * Math.floor(i / 3));

describe('embed task', () => {
  it('mean-pools [1, sequence, dim] over the positions the attention mask keeps', async () => {
    const file = project.path('embedder.onnx');
    await writeModel(
      file,
      model(
        {
          node: [node('Gather', ['E', 'input_ids'], ['last_hidden_state'], { axis: 0 }), node('Identity', ['attention_mask'], ['mask_copy'])],
          initializer: [floatTensor('E', [VOCABULARY, 3], table)],
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
    const job: RunnerJob = {
      modelPath: file,
      task: { kind: 'embed' },
      warmup: 0,
      iterations: 1,
      runtime: { graphOptimizationLevel: 'all', executionMode: 'sequential' },
      // The last position is padding: it must not count.
      examples: [
        {
          id: 'e0',
          feeds: { input_ids: { type: 'int64', dims: [1, 4], data: [2, 4, 6, 19] }, attention_mask: { type: 'int64', dims: [1, 4], data: [1, 1, 1, 0] } },
        },
      ],
    };
    const outcome = await localDriver.runCell({ id: 'host', kind: 'local' }, job, { timeoutMs: 60_000 });
    const output = outcome.events.find((e) => e.type === 'output');
    expect(output).toMatchObject({ exampleId: 'e0', output: { kind: 'embed', vector: [4, 40, -4] } });
  });
});
