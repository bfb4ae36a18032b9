import * as ort from 'onnxruntime-node';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import { ortTensor } from '../runtimes/onnxruntime-node.ts';
import { tensorFromSpec } from '../runtimes/tensor.ts';

/**
 * Runs the float model on calibration examples with the named intermediate tensors (MatMul inputs) exposed
 * as extra graph outputs, and returns each tensor's values as rows of its last dimension, one array per example.
 * A decoder's inputs the examples leave out are filled as for a prefill: attention_mask of ones, position_ids
 * 0..n-1, and an empty KV cache.
 */
export async function captureInputs(proto: OnnxTypes.ModelProto, tensorNames: string[], examples: RunnerExample[]): Promise<Map<string, Float32Array[]>> {
  const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(proto).finish());
  const outputs = (probe.graph!.output ??= []);
  const existing = new Set(outputs.map((o) => o.name));
  for (const name of tensorNames)
    if (!existing.has(name)) outputs.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  // Optimized as for inference (graph outputs survive fusion); unoptimized, some torch exports' prefill
  // with an empty past fails a Reshape that constant folding removes. Errors only: a model mid-rewrite still holds
  // float tables its quantized Gathers no longer read, and onnxruntime would warn of each on every pass.
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(probe).finish(), { logSeverityLevel: 3 });
  const captured = new Map(tensorNames.map((n) => [n, [] as Float32Array[]]));
  try {
    for (const example of examples) {
      const feeds: Record<string, ort.Tensor> = Object.fromEntries(Object.entries(example.feeds).map(([k, v]) => [k, ortTensor(tensorFromSpec(v))]));
      const length = feeds.input_ids?.dims[1] ?? 1;
      for (const meta of session.inputMetadata) {
        if (feeds[meta.name] || !meta.isTensor) continue;
        if (meta.name === 'attention_mask') feeds[meta.name] = new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
        else if (meta.name === 'position_ids')
          feeds[meta.name] = new ort.Tensor(
            'int64',
            BigInt64Array.from({ length }, (_, i) => BigInt(i)),
            [1, length],
          );
        else if (meta.name.startsWith('past_'))
          feeds[meta.name] = new ort.Tensor('float32', new Float32Array(0), [1, meta.shape[1] as number, 0, meta.shape[3] as number]);
      }
      const result = await session.run(feeds, tensorNames);
      for (const name of tensorNames) captured.get(name)!.push(Float32Array.from(result[name]!.data as Float32Array));
    }
  } finally {
    await session.release();
  }
  return captured;
}
