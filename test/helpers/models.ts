import * as ort from 'onnxruntime-node';
import { floatTensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx } from '../../harness/onnx/proto.ts';
import { gaussian, seededRandom } from '../../scripts/demo/random.ts';

export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): Float32Array {
  const normal = gaussian(seededRandom(seed));
  return Float32Array.from({ length: rows * cols }, () => normal() * scale);
}

/** y = x @ W (+ bias): one MatMul with a constant [k, n] weight. x: float32 [batch, k]. */
export async function writeSingleMatMul(file: string, weight: Float32Array, k: number, n: number): Promise<void> {
  await writeModel(
    file,
    model(
      {
        name: 'single-matmul',
        node: [node('MatMul', ['x', 'W'], ['y'])],
        initializer: [floatTensor('W', [k, n], weight)],
        input: [tensorValue('x', onnx.TensorProto.DataType.FLOAT, ['batch', k])],
        output: [tensorValue('y', onnx.TensorProto.DataType.FLOAT, ['batch', n])],
      },
      [{ version: 17 }],
    ),
  );
}

/** Runs a model on float32 inputs in this process and returns its first output. */
export async function runFloat(file: string, feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1 });
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor(f.data instanceof BigInt64Array ? 'int64' : 'float32', f.data, f.dims)]));
    const outputs = await session.run(tensors);
    return outputs[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

export function matmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] = out[i * n + j]! + a[i * k + p]! * b[p * n + j]!;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export function maxAbs(a: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]!));
  return max;
}
