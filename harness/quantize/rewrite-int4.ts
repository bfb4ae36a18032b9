import { floatTensor, node, rawTensor } from '../onnx/build.ts';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import { quantizeInt4Blocks, type Int4Blocks } from './int4-blocks.ts';
import { uniqueNamer } from './model-graph.ts';
import { weightKey, weightMatrix, type MatMulTarget } from './targets.ts';

/**
 * Int4 blocks of a layer's weight; with `inputMultiplier` ([K], AWQ's 1 / s) the blocks hold diag(s) W, and the
 * layer's input is multiplied by it before the MatMulNBits.
 */
export type QuantizedWeight = Int4Blocks & { inputMultiplier?: Float32Array };

/** Turns one layer's [K, N] weight into int4 blocks: round-to-nearest, or a calibrated algorithm (AWQ, GPTQ). */
export type Int4Quantizer = (target: MatMulTarget, weight: Float32Array, options: { blockSize: number; symmetric: boolean }) => QuantizedWeight;

export const roundToNearest: Int4Quantizer = (target, weight, options) => quantizeInt4Blocks(weight, target.k, target.n, options.blockSize, options.symmetric);

export const MS_DOMAIN = 'com.microsoft';

/**
 * Replaces each target MatMul with com.microsoft MatMulNBits (4-bit, block-wise), behind an elementwise Mul by a
 * [K] constant when the quantizer scaled the weight's input channels (AWQ).
 * accuracyLevel is the minimum precision onnxruntime may compute in: 0 dequantizes to
 * float32, 4 quantizes activations to int8 on the fly (faster on CPUs with int8 dot products).
 */
export function rewriteInt4(
  graph: OnnxTypes.GraphProto,
  targets: MatMulTarget[],
  options: { blockSize: number; symmetric: boolean; accuracyLevel: 0 | 1 | 2 | 3 | 4 },
  quantizer: Int4Quantizer = roundToNearest,
): void {
  const name = uniqueNamer(graph);
  const packedWeights = new Map<string, { inputs: string[]; multiplier?: string }>();
  const replacements = new Map<OnnxTypes.INodeProto, OnnxTypes.INodeProto[]>();
  for (const target of targets) {
    const key = weightKey(target);
    let packedWeight = packedWeights.get(key);
    if (!packedWeight) {
      const q = quantizer(target, weightMatrix(target), options);
      const [packed, scales, zeroPoints] = ['int4', 'scales', 'zero_points'].map((s) => name(`${target.weight.name}_${s}`)) as [string, string, string];
      graph.initializer.push(rawTensor(packed, onnx.TensorProto.DataType.UINT8, [target.n, q.blocksPerColumn, options.blockSize / 2], q.packed));
      graph.initializer.push(floatTensor(scales, [target.n * q.blocksPerColumn], q.scales));
      const inputs = [packed, scales];
      if (q.zeroPoints) {
        graph.initializer.push(rawTensor(zeroPoints, onnx.TensorProto.DataType.UINT8, [q.zeroPoints.length], q.zeroPoints));
        inputs.push(zeroPoints);
      }
      let multiplier: string | undefined;
      if (q.inputMultiplier) {
        multiplier = name(`${target.weight.name}_input_multiplier`);
        graph.initializer.push(floatTensor(multiplier, [target.k], q.inputMultiplier));
      }
      packedWeight = { inputs, ...(multiplier ? { multiplier } : {}) };
      packedWeights.set(key, packedWeight);
    }
    const nodeName = target.layer.replace(/[^A-Za-z0-9_.]/g, '_');
    const nodes: OnnxTypes.INodeProto[] = [];
    let input = target.input;
    if (packedWeight.multiplier) {
      input = name(`${target.input}_scaled_for_${nodeName}`);
      const scale = node('Mul', [target.input, packedWeight.multiplier], [input]);
      scale.name = `${nodeName}_input_scale`;
      nodes.push(scale);
    }
    const replacement = node(
      'MatMulNBits',
      [input, ...packedWeight.inputs],
      [target.output],
      { K: target.k, N: target.n, bits: 4, block_size: options.blockSize, accuracy_level: options.accuracyLevel },
      MS_DOMAIN,
    );
    replacement.name = `${nodeName}_Q4`;
    nodes.push(replacement);
    replacements.set(target.node, nodes);
  }
  graph.node = graph.node.flatMap((n) => replacements.get(n) ?? [n]);
}
