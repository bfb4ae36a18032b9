import { node } from '../onnx/build.ts';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import { toHalfBits } from '../runtimes/tensor.ts';
import { floatValues, uniqueNamer } from './model-graph.ts';

const { FLOAT, FLOAT16 } = onnx.TensorProto.DataType;
/** The largest finite float16: float32 constants beyond it (attention masks of -1e9) are clamped, not turned into infinities. */
const FLOAT16_MAX = 65504;

/** Inputs that ONNX requires to stay float32 whatever the compute type (Resize's scales). */
const FLOAT32_ONLY_INPUTS: Record<string, number[]> = { Resize: [2], Upsample: [1] };

export function float16Tensor(tensor: OnnxTypes.ITensorProto): void {
  const values = floatValues(tensor);
  const bits = Uint16Array.from(values, (v) => toHalfBits(Math.max(-FLOAT16_MAX, Math.min(FLOAT16_MAX, v))));
  tensor.dataType = FLOAT16;
  tensor.floatData = [];
  tensor.rawData = new Uint8Array(bits.buffer);
}

/**
 * Weights and compute in float16, as transformers.js's model_fp16.onnx: every float32 initializer,
 * Constant, ConstantOfShape value, Cast-to-float and declared value type becomes float16 (subgraphs too).
 * With `keepIoTypes`, float32 graph inputs and outputs stay float32 behind Casts, for callers that
 * feed and read float32; otherwise they become float16 (the KV cache and logits of a transformers.js fp16 export).
 * Operators without a float16 CPU kernel are run in float32 by onnxruntime itself (it inserts the Casts).
 */
export function convertToFloat16(proto: OnnxTypes.ModelProto, options: { keepIoTypes: boolean }): void {
  const graph = proto.graph as OnnxTypes.GraphProto;
  const keptFloat32 = new Set<string>();
  for (const n of graph.node) for (const index of FLOAT32_ONLY_INPUTS[n.opType ?? ''] ?? []) if (n.input?.[index]) keptFloat32.add(n.input[index]);
  convertGraph(graph, keptFloat32);
  if (options.keepIoTypes) keepFloat32Interface(graph);
}

function isFloat(value: OnnxTypes.IValueInfoProto): boolean {
  return value.type?.tensorType?.elemType === FLOAT;
}

function convertGraph(graph: OnnxTypes.IGraphProto, keptFloat32: Set<string>): void {
  for (const t of graph.initializer ?? []) if (t.dataType === FLOAT && !keptFloat32.has(t.name ?? '')) float16Tensor(t);
  for (const v of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])]) {
    if (isFloat(v) && !keptFloat32.has(v.name ?? '')) v.type!.tensorType!.elemType = FLOAT16;
  }
  for (const n of graph.node ?? []) {
    for (const a of n.attribute ?? []) {
      if (a.t && a.t.dataType === FLOAT && !(n.output ?? []).some((o) => keptFloat32.has(o))) float16Tensor(a.t);
      if (n.opType === 'Cast' && a.name === 'to' && Number(a.i) === FLOAT) a.i = FLOAT16;
      if (a.g) convertGraph(a.g, keptFloat32);
      for (const g of a.graphs ?? []) convertGraph(g, keptFloat32);
    }
  }
}

/** Float32 inputs are cast to float16 on the way in, float16 outputs back to float32 on the way out. */
function keepFloat32Interface(graph: OnnxTypes.GraphProto): void {
  const name = uniqueNamer(graph);
  const initializers = new Set(graph.initializer.map((t) => t.name));
  const entry: OnnxTypes.INodeProto[] = [];
  for (const input of graph.input) {
    if (input.type?.tensorType?.elemType !== FLOAT16 || initializers.has(input.name)) continue;
    const inside = name(`${input.name}_fp16`);
    for (const n of graph.node) n.input = (n.input ?? []).map((i) => (i === input.name ? inside : i));
    input.type.tensorType.elemType = FLOAT;
    entry.push(node('Cast', [input.name!], [inside], { to: FLOAT16 }));
  }
  const exit: OnnxTypes.INodeProto[] = [];
  for (const output of graph.output) {
    if (output.type?.tensorType?.elemType !== FLOAT16) continue;
    const inside = name(`${output.name}_fp16`);
    for (const n of graph.node) {
      n.output = (n.output ?? []).map((o) => (o === output.name ? inside : o));
      n.input = (n.input ?? []).map((i) => (i === output.name ? inside : i));
    }
    output.type.tensorType.elemType = FLOAT;
    exit.push(node('Cast', [inside], [output.name!], { to: FLOAT }));
  }
  graph.node = [...entry, ...graph.node, ...exit];
}
