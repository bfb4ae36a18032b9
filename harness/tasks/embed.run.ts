import type { Tensor } from '../runtimes/tensor.ts';
import { timedRun, type TaskRunnerFactory } from './task.ts';

/**
 * One forward pass; the first output is the embedding: [1, dim] as it is, or
 * [1, sequence, dim] mean-pooled over the positions attention_mask keeps
 * (sentence-transformers' mean pooling).
 */
export const embedTask: TaskRunnerFactory<'embed'> = (session) => {
  const outputName = session.outputs[0]!.name;
  return {
    async iterate(example, wantOutput) {
      const { outputs, latencyMs } = await timedRun(session, example.feeds);
      if (!wantOutput) return { latencyMs };
      return { latencyMs, output: { kind: 'embed', vector: pooled(outputs[outputName]!, example.feeds.attention_mask) } };
    },
  };
};

function pooled(output: Tensor, mask: Tensor | undefined): number[] {
  const data = output.data as Float32Array;
  if (output.dims.length < 3) return Array.from(data);
  const [, sequence, dim] = output.dims as [number, number, number];
  const keep = (position: number) => (mask ? Number((mask.data as BigInt64Array | Int32Array)[position]) !== 0 : true);
  const sum = new Float64Array(dim);
  let kept = 0;
  for (let position = 0; position < sequence; position++) {
    if (!keep(position)) continue;
    kept++;
    for (let d = 0; d < dim; d++) sum[d] = sum[d]! + data[position * dim + d]!;
  }
  return Array.from(sum, (v) => v / Math.max(1, kept));
}
