import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelFileError, inspectModel, type ModelInspection } from '../onnx/model-file.ts';
import { onnx, toNumber, type OnnxTypes } from '../onnx/proto.ts';

/** A model loaded for rewriting: external data is read into the tensors, so every weight is in memory. */
export interface EditableModel {
  proto: OnnxTypes.ModelProto;
  graph: OnnxTypes.GraphProto;
  /** Whether the source kept its weights in external data files (the output then does too). */
  hadExternalData: boolean;
}

export async function loadEditableModel(file: string, inspection?: ModelInspection): Promise<EditableModel> {
  inspection ??= await inspectModel(file); // existence, completeness and external data checks
  const proto = onnx.ModelProto.decode(await readFile(file));
  const graph = proto.graph as OnnxTypes.GraphProto;
  const dataFiles = new Map<string, Buffer>();
  for (const ref of inspection.externalData) dataFiles.set(ref.location, await readFile(join(dirname(file), ref.location)));
  for (const tensor of graph.initializer) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entries = new Map((tensor.externalData ?? []).map((e) => [e.key, e.value]));
    const data = dataFiles.get(entries.get('location')!)!;
    const offset = Number(entries.get('offset') ?? 0);
    const length = entries.has('length') ? Number(entries.get('length')) : data.length - offset;
    tensor.rawData = data.subarray(offset, offset + length);
    tensor.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    tensor.externalData = [];
  }
  return { proto, graph, hadExternalData: inspection.externalData.length > 0 };
}

/** The values of a float32 initializer, whether stored as raw bytes or as float_data. */
export function floatValues(tensor: OnnxTypes.ITensorProto): Float32Array {
  if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) throw new ModelFileError('MODEL_CORRUPT', tensor.name ?? '', `tensor ${tensor.name} is not float32`);
  if (tensor.rawData && tensor.rawData.length > 0) {
    const raw = tensor.rawData;
    // Copy: raw bytes inside a protobuf buffer need not be 4-byte aligned.
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(tensor.floatData ?? []);
}

export function dimsOf(tensor: OnnxTypes.ITensorProto): number[] {
  return (tensor.dims ?? []).map((d) => toNumber(d));
}

/** Name -> number of nodes that read it (graph outputs count as readers). */
export function readerCounts(graph: OnnxTypes.IGraphProto): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (name: string) => counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const node of graph.node ?? []) for (const input of node.input ?? []) add(input);
  for (const output of graph.output ?? []) add(output.name ?? '');
  return counts;
}

/** A name not yet used in the graph, derived from `base`. */
export function uniqueNamer(graph: OnnxTypes.IGraphProto): (base: string) => string {
  const used = new Set<string>();
  for (const t of graph.initializer ?? []) used.add(t.name ?? '');
  for (const n of graph.node ?? []) for (const o of n.output ?? []) used.add(o);
  for (const v of [...(graph.input ?? []), ...(graph.output ?? [])]) used.add(v.name ?? '');
  return (base) => {
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
}
