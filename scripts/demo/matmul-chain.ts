import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { gaussian, seededRandom } from './random.ts';

/**
 * x [batch, width] times the same width x width matrix `layers` times: a model whose work is proportional
 * to `layers`, so 21 layers against 20 is a known 5% more, not a guess.
 */
export async function writeMatMulChain(file: string, layers: number, shape: { width: number; batch: number }): Promise<void> {
  const { width, batch } = shape;
  const normal = gaussian(seededRandom(7));
  const weight = Float32Array.from({ length: width * width }, () => normal() / Math.sqrt(width));
  const nodes = Array.from({ length: layers }, (_, i) => node('MatMul', [i === 0 ? 'x' : `h${i - 1}`, 'w'], [i === layers - 1 ? 'y' : `h${i}`]));
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  await writeModel(
    file,
    model(
      {
        name: `chain-${layers}`,
        node: nodes,
        initializer: [floatTensor('w', [width, width], weight)],
        input: [tensorValue('x', FLOAT, [batch, width])],
        output: [tensorValue('y', FLOAT, [batch, width])],
      },
      [{ version: 17 }],
    ),
  );
}

/** One dataset line feeding the chain a seeded input. */
export function matMulChainInput(shape: { width: number; batch: number }): string {
  const normal = gaussian(seededRandom(11));
  const x = Array.from({ length: shape.batch }, () => Array.from({ length: shape.width }, () => Number(normal().toFixed(4))));
  return `${JSON.stringify({ id: 'x', inputs: { x } })}\n`;
}
