import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { onnx, type OnnxTypes } from './proto.ts';

/** Small constructors for ONNX protobuf messages, so model-writing code reads like the graph it builds. */

const DataType = onnx.TensorProto.DataType;

export function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTypes.TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: DataType.FLOAT, rawData: bytesOf(values) });
}

export function int64Tensor(name: string, dims: number[], values: readonly number[]): OnnxTypes.TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: DataType.INT64, rawData: bytesOf(BigInt64Array.from(values, (v) => BigInt(v))) });
}

/** A tensor from raw little-endian bytes, for packed and integer types (int8, uint8, ...). */
export function rawTensor(name: string, dataType: number, dims: number[], bytes: ArrayBufferView): OnnxTypes.TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType, rawData: bytesOf(bytes) });
}

/** Attribute values: integers are INT, `{ float }` is FLOAT (an integer-valued float must say so), arrays of integers are INTS. */
export type AttributeValue = number | number[] | string | { float: number } | { floats: number[] } | { tensor: OnnxTypes.ITensorProto };

export function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}, domain = ''): OnnxTypes.NodeProto {
  return onnx.NodeProto.create({
    opType,
    domain,
    name: `${opType}_${outputs[0]}`,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
  });
}

function attribute(name: string, value: AttributeValue): OnnxTypes.AttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: Type.STRING, s: new TextEncoder().encode(value) });
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new TypeError(`attribute ${name}: write { float: ${value} } for a float attribute`);
    return onnx.AttributeProto.create({ name, type: Type.INT, i: value });
  }
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: Type.INTS, ints: value });
  if ('float' in value) return onnx.AttributeProto.create({ name, type: Type.FLOAT, f: value.float });
  if ('floats' in value) return onnx.AttributeProto.create({ name, type: Type.FLOATS, floats: value.floats });
  return onnx.AttributeProto.create({ name, type: Type.TENSOR, t: value.tensor });
}

/** A graph input or output; string dims are symbolic (e.g. "batch"). */
export function tensorValue(name: string, elemType: number, dims: (number | string)[]): OnnxTypes.ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function model(graph: OnnxTypes.IGraphProto, opsets: { domain?: string; version: number }[]): OnnxTypes.ModelProto {
  return onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgebench',
    opsetImport: opsets.map((o) => ({ domain: o.domain ?? '', version: o.version })),
    graph: onnx.GraphProto.create(graph),
  });
}

/**
 * Writes a model; with `externalData`, every initializer of at least `minBytes`
 * goes to one data file beside the model (the layout exporters use for models over 2 GB).
 */
export async function writeModel(file: string, proto: OnnxTypes.ModelProto, externalData?: { minBytes: number }): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  if (!externalData) {
    await writeFile(file, onnx.ModelProto.encode(proto).finish());
    return;
  }
  const location = `${basename(file)}.data`;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const graph = proto.graph!;
  for (const tensor of graph.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length < externalData.minBytes) continue;
    // Large tensors start on a page boundary so onnxruntime can memory-map them; small ones are packed tight.
    const padding = raw.length >= 65536 ? (4096 - (offset % 4096)) % 4096 : 0;
    if (padding) chunks.push(new Uint8Array(padding));
    offset += padding;
    tensor.externalData = [
      onnx.StringStringEntryProto.create({ key: 'location', value: location }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(raw.length) }),
    ];
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    chunks.push(raw);
    offset += raw.length;
    tensor.rawData = new Uint8Array(0);
  }
  await writeFile(`${file}.data`, Buffer.concat(chunks));
  await writeFile(file, onnx.ModelProto.encode(proto).finish());
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}
