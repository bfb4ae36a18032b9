import * as ort from 'onnxruntime-node';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import type { RunnerExample } from '../core/runner-protocol.ts';
import { ortTensor } from '../runtimes/onnxruntime-node.ts';
import { tensorFromSpec } from '../runtimes/tensor.ts';
import { percentileOfSorted } from '../stats/percentile.ts';
import type { ActivationRanges } from './rewrite-int8.ts';

export type CalibrationMethod = 'minmax' | 'percentile';

/** Values kept per tensor for percentile calibration; beyond this a strided subsample is kept. */
const MAX_VALUES_PER_TENSOR = 2_000_000;

/**
 * Runs the float model on the calibration examples with the given intermediate
 * tensors exposed as outputs, and returns each tensor's range:
 *  minmax:     the smallest and largest value seen;
 *  percentile: the (100 - p)th and pth percentiles, which ignores rare outliers
 *              that would otherwise stretch the int8 grid for everyone else.
 */
export async function calibrateRanges(
  proto: OnnxTypes.ModelProto,
  tensorNames: string[],
  examples: RunnerExample[],
  method: CalibrationMethod,
  percentile = 99.99,
): Promise<ActivationRanges> {
  const probe = onnx.ModelProto.decode(onnx.ModelProto.encode(proto).finish());
  const graph = probe.graph!;
  const outputs = (graph.output ??= []);
  const existing = new Set(outputs.map((o) => o.name));
  for (const name of tensorNames) {
    if (!existing.has(name)) outputs.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT } } }));
  }
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(probe).finish(), { graphOptimizationLevel: 'disabled' });
  const minmax = new Map(tensorNames.map((n) => [n, { min: Infinity, max: -Infinity }]));
  const samples = new Map(tensorNames.map((n) => [n, [] as number[]]));
  try {
    for (const example of examples) {
      const feeds = Object.fromEntries(Object.entries(example.feeds).map(([k, v]) => [k, ortTensor(tensorFromSpec(v))]));
      const outputs = await session.run(feeds, tensorNames);
      for (const name of tensorNames) {
        const data = outputs[name]!.data as Float32Array;
        const range = minmax.get(name)!;
        const kept = samples.get(name)!;
        const stride = Math.max(1, Math.ceil((kept.length + data.length) / MAX_VALUES_PER_TENSOR));
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v < range.min) range.min = v;
          if (v > range.max) range.max = v;
          if (method === 'percentile' && i % stride === 0) kept.push(v);
        }
      }
    }
  } finally {
    await session.release();
  }
  if (method === 'minmax') return minmax;
  const ranges: ActivationRanges = new Map();
  for (const [name, values] of samples) {
    const sorted = Float64Array.from(values).sort();
    ranges.set(name, { min: percentileOfSorted(sorted, 1 - percentile / 100), max: percentileOfSorted(sorted, percentile / 100) });
  }
  return ranges;
}
