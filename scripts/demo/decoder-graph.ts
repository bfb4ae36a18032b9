import { floatTensor, int64Tensor, node, type AttributeValue } from '../../harness/onnx/build.ts';
import type { OnnxTypes } from '../../harness/onnx/proto.ts';

/**
 * Collects the nodes and initializers of a graph while it is written top to bottom.
 * Weights are drawn from one seeded normal source in creation order, so the same
 * sequence of calls always yields the same model bytes.
 */
export class DecoderGraph {
  readonly nodes: OnnxTypes.NodeProto[] = [];
  readonly initializer: OnnxTypes.TensorProto[] = [];

  constructor(private readonly normal: () => number) {}

  /** Adds one single-output node and returns the name of its output. */
  op(opType: string, inputs: string[], output: string, attributes: Record<string, AttributeValue> = {}): string {
    this.nodes.push(node(opType, inputs, [output], attributes));
    return output;
  }

  floatConstant(name: string, dims: number[], values: Float32Array): string {
    this.initializer.push(floatTensor(name, dims, values));
    return name;
  }

  int64Constant(name: string, dims: number[], values: readonly number[]): string {
    this.initializer.push(int64Tensor(name, dims, values));
    return name;
  }

  /** A weight with independent N(0, std^2) entries. */
  randomWeight(name: string, dims: number[], std: number): string {
    const count = dims.reduce((a, b) => a * b, 1);
    return this.floatConstant(
      name,
      dims,
      Float32Array.from({ length: count }, () => this.normal() * std),
    );
  }

  /**
   * x @ W + b with W a constant [inSize, outSize] initializer as MatMul's second input:
   * the pattern weight-only quantizers look for and replace.
   */
  linear(input: string, name: string, inSize: number, outSize: number, std: number): string {
    const weight = this.randomWeight(`${name}.weight`, [inSize, outSize], std);
    const bias = this.floatConstant(`${name}.bias`, [outSize], new Float32Array(outSize));
    const product = this.op('MatMul', [input, weight], `${name}.matmul`);
    return this.op('Add', [product, bias], `${name}.out`);
  }

  /** LayerNormalization over the last axis, initialised to the identity (scale 1, bias 0) as in GPT-2. */
  layerNorm(input: string, name: string, size: number): string {
    const scale = this.floatConstant(`${name}.weight`, [size], new Float32Array(size).fill(1));
    const bias = this.floatConstant(`${name}.bias`, [size], new Float32Array(size));
    return this.op('LayerNormalization', [input, scale, bias], `${name}.out`, { axis: -1, epsilon: { float: 1e-5 } });
  }
}
