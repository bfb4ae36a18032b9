import { floatTensor, node, rawTensor } from '../onnx/build.ts';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import { quantizeInt8PerColumn, uint8RangeParameters } from './int8-weights.ts';
import { uniqueNamer } from './model-graph.ts';
import { weightMatrix, type MatMulTarget } from './targets.ts';

const { INT8, UINT8 } = onnx.TensorProto.DataType;

export type Int8Method = 'dynamic' | 'qdq' | 'static';

/** Activation range per MatMul input tensor, from calibration (static int8 only). */
export type ActivationRanges = Map<string, { min: number; max: number }>;

/**
 * Replaces each target MatMul with an int8 equivalent; returns the new nodes per target.
 *  dynamic: DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q) -> Cast -> Mul(scale_a * scale_w).
 *           Activations are quantized on the fly per inference; nothing to calibrate.
 *  qdq:     DequantizeLinear(W_q, per-column scales) -> MatMul. Weights shrink on disk;
 *           onnxruntime decides at load time how to execute the pattern.
 *  static:  QuantizeLinear -> DequantizeLinear on the activation with a calibrated range,
 *           plus the weight DequantizeLinear: the QDQ form that onnxruntime fuses
 *           into integer kernels (QLinearMatMul).
 */
export function rewriteInt8(graph: OnnxTypes.GraphProto, targets: MatMulTarget[], method: Int8Method, ranges?: ActivationRanges): void {
  const name = uniqueNamer(graph);
  const quantizedWeights = new Map<string, { values: string; scales: string; zeroPoints: string }>();
  const replacements = new Map<OnnxTypes.INodeProto, OnnxTypes.INodeProto[]>();
  for (const target of targets) {
    const key = `${target.weight.name}${target.transposed ? ' transposed' : ''}`;
    let weight = quantizedWeights.get(key);
    if (!weight) {
      // One quantized copy per weight, however many MatMuls share it.
      const q = quantizeInt8PerColumn(weightMatrix(target), target.k, target.n);
      weight = {
        values: name(`${target.weight.name}_int8`),
        scales: name(`${target.weight.name}_scale`),
        zeroPoints: name(`${target.weight.name}_zero_point`),
      };
      graph.initializer.push(rawTensor(weight.values, INT8, [target.k, target.n], q.values));
      graph.initializer.push(floatTensor(weight.scales, [target.n], q.scales));
      graph.initializer.push(rawTensor(weight.zeroPoints, INT8, [target.n], new Int8Array(target.n)));
      quantizedWeights.set(key, weight);
    }
    const { input, output } = target;
    const base = target.layer.replace(/[^A-Za-z0-9_.]/g, '_');
    const renamed = (nodes: OnnxTypes.NodeProto[]) => nodes.map((n, i) => Object.assign(n, { name: `${base}_quant_${i}` }));
    if (method === 'dynamic') {
      const [aQ, aScale, aZero, product, productFloat, scale] = ['a_quant', 'a_scale', 'a_zero_point', 'int32', 'float', 'scale'].map((s) =>
        name(`${base}_${s}`),
      ) as [string, string, string, string, string, string];
      replacements.set(
        target.node,
        renamed([
          node('DynamicQuantizeLinear', [input], [aQ, aScale, aZero]),
          node('MatMulInteger', [aQ, weight.values, aZero, weight.zeroPoints], [product]),
          node('Cast', [product], [productFloat], { to: onnx.TensorProto.DataType.FLOAT }),
          node('Mul', [aScale, weight.scales], [scale]),
          node('Mul', [productFloat, scale], [output]),
        ]),
      );
    } else {
      const weightFloat = name(`${base}_weight_dequantized`);
      const dequantizeWeight = node('DequantizeLinear', [weight.values, weight.scales, weight.zeroPoints], [weightFloat], { axis: 1 });
      if (method === 'qdq') {
        replacements.set(target.node, renamed([dequantizeWeight, node('MatMul', [input, weightFloat], [output])]));
        continue;
      }
      const range = ranges?.get(input);
      if (!range) throw new Error(`no calibrated range for "${input}", the input of ${target.layer}`);
      const { scale, zeroPoint } = uint8RangeParameters(range.min, range.max);
      const [scaleName, zeroName, aQ, aDequantized] = ['a_scale', 'a_zero_point', 'a_quant', 'a_dequantized'].map((s) => name(`${base}_${s}`)) as [
        string,
        string,
        string,
        string,
      ];
      graph.initializer.push(floatTensor(scaleName, [], Float32Array.of(scale)));
      graph.initializer.push(rawTensor(zeroName, UINT8, [], Uint8Array.of(zeroPoint)));
      replacements.set(
        target.node,
        renamed([
          node('QuantizeLinear', [input, scaleName, zeroName], [aQ]),
          node('DequantizeLinear', [aQ, scaleName, zeroName], [aDequantized]),
          dequantizeWeight,
          node('MatMul', [aDequantized, weightFloat], [output]),
        ]),
      );
    }
  }
  graph.node = graph.node.flatMap((n) => replacements.get(n) ?? [n]);
}
