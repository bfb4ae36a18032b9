import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { readBoundedFile } from '../config/read-bounded-file.ts';
import { elementTypeName, onnx, toNumber, type ElementType, type OnnxTypes } from './proto.ts';

export interface ModelValueInfo {
  name: string;
  type: ElementType | `unsupported(${number})`;
  /** Fixed sizes as numbers; symbolic or unknown dimensions as their name or null. */
  dims: (number | string | null)[];
}

export interface ExternalDataRef {
  /** Path relative to the model's folder, as written in the model. */
  location: string;
  /** Bytes the model needs the file to have: the furthest offset + length read from it. */
  requiredBytes: number;
}

export interface ModelInspection {
  inputs: ModelValueInfo[];
  outputs: ModelValueInfo[];
  externalData: ExternalDataRef[];
  opsets: { domain: string; version: number }[];
  producer: string;
  nodeCount: number;
}

/** Why a model file cannot be used; `code` is stable for tests and results. */
export class ModelFileError extends Error {
  constructor(
    readonly code: 'MODEL_NOT_FOUND' | 'MODEL_NOT_A_FILE' | 'MODEL_UNREADABLE' | 'MODEL_CORRUPT' | 'EXTERNAL_DATA_MISSING' | 'EXTERNAL_DATA_TRUNCATED',
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelFileError';
  }
}

/**
 * Parses an .onnx file enough to know what it needs before a runner loads it:
 * its inputs and outputs, and the external data files its weights live in.
 * A truncated file usually fails protobuf decoding; one cut at a field boundary
 * decodes, so the graph is also checked for values that nothing produces.
 */
export async function inspectModel(file: string): Promise<ModelInspection> {
  const bytes = await readModelBytes(file);
  let model: OnnxTypes.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new ModelFileError('MODEL_CORRUPT', file, `not a valid ONNX model (truncated or corrupt): ${(error as Error).message}`);
  }
  const graph = model.graph;
  if (!graph || !graph.node?.length) {
    throw new ModelFileError('MODEL_CORRUPT', file, 'not a valid ONNX model: it has no graph nodes (truncated, or not an ONNX file)');
  }
  checkGraphIsComplete(file, graph);
  const initializerNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const externalData = await checkExternalData(file, graph);
  return {
    inputs: (graph.input ?? []).filter((v) => !initializerNames.has(v.name)).map(valueInfo),
    outputs: (graph.output ?? []).map(valueInfo),
    externalData,
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: toNumber(o.version) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    nodeCount: graph.node.length,
  };
}

async function readModelBytes(file: string): Promise<Uint8Array> {
  try {
    // No size limit (models are large), but /dev/zero or a FIFO would never end: only a regular file is read.
    return await readBoundedFile(file, { what: 'model path' });
  } catch (error) {
    if (error instanceof ConfigError) throw new ModelFileError('MODEL_NOT_A_FILE', file, error.problem);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelFileError('MODEL_NOT_FOUND', file, 'model file not found');
    throw new ModelFileError('MODEL_UNREADABLE', file, `cannot read model file (${code ?? String(error)})`);
  }
}

function checkGraphIsComplete(file: string, graph: OnnxTypes.IGraphProto): void {
  const available = new Set<string>(['']); // '' marks an omitted optional input
  for (const v of graph.input ?? []) available.add(v.name ?? '');
  for (const t of graph.initializer ?? []) available.add(t.name ?? '');
  for (const node of graph.node ?? []) {
    // Subgraph (If/Loop) bodies may read outer values; only top-level data flow is checked.
    for (const input of node.input ?? []) {
      if (!available.has(input)) {
        throw new ModelFileError('MODEL_CORRUPT', file, `not a valid ONNX model (truncated or corrupt): node "${node.name || node.opType}" reads "${input}", which nothing produces`);
      }
    }
    for (const output of node.output ?? []) available.add(output);
  }
  for (const output of graph.output ?? []) {
    if (!available.has(output.name ?? '')) {
      throw new ModelFileError('MODEL_CORRUPT', file, `not a valid ONNX model (truncated or corrupt): graph output "${output.name}" is never produced`);
    }
  }
}

async function checkExternalData(file: string, graph: OnnxTypes.IGraphProto): Promise<ExternalDataRef[]> {
  const required = new Map<string, number>();
  for (const tensor of graph.initializer ?? []) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entries = new Map((tensor.externalData ?? []).map((e) => [e.key, e.value]));
    const location = entries.get('location');
    if (!location) throw new ModelFileError('MODEL_CORRUPT', file, `tensor "${tensor.name}" is stored externally but names no location`);
    if (isAbsolute(location) || normalize(location).split(sep).includes('..')) {
      // Same rule as onnxruntime: external data must sit beside the model.
      throw new ModelFileError('MODEL_CORRUPT', file, `tensor "${tensor.name}" points outside the model folder (${location})`);
    }
    const offset = Number(entries.get('offset') ?? 0);
    const length = Number(entries.get('length') ?? 0);
    required.set(location, Math.max(required.get(location) ?? 0, offset + length));
  }
  const refs: ExternalDataRef[] = [];
  for (const [location, requiredBytes] of required) {
    const path = join(dirname(file), location);
    const stats = await stat(path).catch(() => undefined);
    if (stats === undefined) throw new ModelFileError('EXTERNAL_DATA_MISSING', path, `external data file of ${file} not found`);
    if (!stats.isFile()) throw new ModelFileError('MODEL_NOT_A_FILE', path, `external data file of ${file} is not a regular file`);
    const size = stats.size;
    if (size < requiredBytes) {
      throw new ModelFileError('EXTERNAL_DATA_TRUNCATED', path, `external data file is truncated: ${size} bytes, the model reads up to byte ${requiredBytes}`);
    }
    refs.push({ location, requiredBytes });
  }
  return refs;
}

function valueInfo(v: OnnxTypes.IValueInfoProto): ModelValueInfo {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? '',
    type: elementTypeName(tensor?.elemType ?? 0),
    dims: (tensor?.shape?.dim ?? []).map((d) => (d.dimValue != null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam || null)),
  };
}
