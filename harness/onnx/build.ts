import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { onnx, type OnnxTypes } from './proto.ts';

/** Small constructors for ONNX protobuf messages, so model-writing code reads like the graph it builds. */

const DataType = onnx.TensorProto.DataType;

export function floatTensor(name: string, dims: number[], values: Float32Array): OnnxTypes.TensorProto {
  return onnx.TensorProto.create({ name, dims, dataType: DataType.FLOAT, rawData: bytesOf(values) });
}

export function node(opType: string, inputs: string[], outputs: string[], attributes: Record<string, number | number[]> = {}, domain = ''): OnnxTypes.NodeProto {
  return onnx.NodeProto.create({
    opType,
    domain,
    name: `${opType}_${outputs[0]}`,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attributes).map(([name, value]) =>
      Array.isArray(value)
        ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: value })
        : Number.isInteger(value)
          ? onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value })
          : onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value }),
    ),
  });
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
    const padding = (4096 - (offset % 4096)) % 4096; // page-aligned, so onnxruntime can mmap it
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
