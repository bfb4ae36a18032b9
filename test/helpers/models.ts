import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { floatTensor, int64Tensor, model, node, tensorValue, writeModel } from '../../harness/onnx/build.ts';
import { onnx, type OnnxTypes } from '../../harness/onnx/proto.ts';
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
    const tensors = Object.fromEntries(
      Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor(f.data instanceof BigInt64Array ? 'int64' : 'float32', f.data, f.dims)]),
    );
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

/** A float32 tensor whose bytes live in `location` (relative to the model's folder), written there from offset 0. */
function externalFloatTensor(name: string, dims: number[], location: string): OnnxTypes.TensorProto {
  const length = dims.reduce((product, d) => product * d, 1) * 4;
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      onnx.StringStringEntryProto.create({ key: 'location', value: location }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: '0' }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(length) }),
    ],
  });
}

/**
 * y = x + B with B [1, n] kept in the external file `location` beside the model, but not as a graph
 * initializer: as the value of a Constant node, or as an initializer inside an If's then-branch
 * (the model then takes a bool `cond`; true adds B, false passes x through). x: float32 [1, n].
 * Writes the data file only when `bias` is given, so tests can put a link there instead.
 */
export async function writeHiddenExternalData(
  file: string,
  place: 'constant' | 'subgraph',
  options: { n: number; location: string; bias?: Float32Array },
): Promise<void> {
  const { n, location } = options;
  const Float = onnx.TensorProto.DataType.FLOAT;
  const input = tensorValue('x', Float, [1, n]);
  const output = tensorValue('y', Float, [1, n]);
  const graph: OnnxTypes.IGraphProto =
    place === 'constant'
      ? {
          name: 'constant-bias',
          node: [node('Constant', [], ['B'], { value: { tensor: externalFloatTensor('B', [1, n], location) } }), node('Add', ['x', 'B'], ['y'])],
          input: [input],
          output: [output],
        }
      : {
          name: 'branch-bias',
          node: [
            onnx.NodeProto.create({
              opType: 'If',
              name: 'If_y',
              input: ['cond'],
              output: ['y'],
              attribute: [
                onnx.AttributeProto.create({
                  name: 'then_branch',
                  type: onnx.AttributeProto.AttributeType.GRAPH,
                  g: onnx.GraphProto.create({
                    name: 'then',
                    node: [node('Add', ['x', 'B'], ['then_y'])],
                    initializer: [externalFloatTensor('B', [1, n], location)],
                    output: [tensorValue('then_y', Float, [1, n])],
                  }),
                }),
                onnx.AttributeProto.create({
                  name: 'else_branch',
                  type: onnx.AttributeProto.AttributeType.GRAPH,
                  g: onnx.GraphProto.create({ name: 'else', node: [node('Identity', ['x'], ['else_y'])], output: [tensorValue('else_y', Float, [1, n])] }),
                }),
              ],
            }),
          ],
          input: [input, tensorValue('cond', onnx.TensorProto.DataType.BOOL, [])],
          output: [output],
        };
  await writeModel(file, model(graph, [{ version: 17 }]));
  if (options.bias) await writeFile(join(dirname(file), location), options.bias);
}

/**
 * A one-layer decoder in the Optimum layout whose KV cache is bfloat16: onnxruntime runs it natively, but its
 * JavaScript API has no bfloat16 tensors to feed it. logits [batch, sequence, 4] repeat the input ids.
 */
export async function writeBfloat16CacheDecoder(file: string): Promise<void> {
  const { BFLOAT16, INT64, FLOAT } = onnx.TensorProto.DataType;
  const cache = (name: string) => tensorValue(name, BFLOAT16, ['batch', 1, 'past', 2]);
  await writeModel(
    file,
    model(
      {
        node: [
          node('Cast', ['input_ids'], ['ids'], { to: FLOAT }),
          node('Unsqueeze', ['ids', 'last_axis'], ['column']),
          node('Expand', ['column', 'vocabulary'], ['logits']),
          node('Identity', ['past_key_values.0.key'], ['present.0.key']),
          node('Identity', ['past_key_values.0.value'], ['present.0.value']),
        ],
        initializer: [int64Tensor('last_axis', [1], [2]), int64Tensor('vocabulary', [3], [1, 1, 4])],
        input: [tensorValue('input_ids', INT64, ['batch', 'sequence']), cache('past_key_values.0.key'), cache('past_key_values.0.value')],
        output: [tensorValue('logits', FLOAT, ['batch', 'sequence', 4]), cache('present.0.key'), cache('present.0.value')],
      },
      [{ version: 17 }],
    ),
  );
}
