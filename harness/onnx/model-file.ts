import { realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { ConfigError } from '../config/errors.ts';
import { readBoundedFile } from '../config/read-bounded-file.ts';
import { indexedInputs, type IndexedTable } from './index-inputs.ts';
import type { GraphPrecision } from '../core/model-folder.ts';
import { graphPrecision } from './graph-precision.ts';
import { elementTypeName, onnx, toNumber, type ElementType, type OnnxTypes } from './proto.ts';

export interface ModelValueInfo {
  name: string;
  type: ElementType | `unsupported(${number})`;
  /** Fixed sizes as numbers; symbolic or unknown dimensions as their name or null. */
  dims: (number | string | null)[];
  /** For an input that indexes a table of known size (token ids into an embedding): values must be in [0, rows). */
  indexes?: IndexedTable;
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
  /** Precision read from the graph (weight data types, MatMulNBits bits, float16 inputs/outputs). */
  precision?: GraphPrecision;
}

/** Why a model file cannot be used; `code` is stable for tests and results. */
export class ModelFileError extends Error {
  constructor(
    readonly code:
      | 'MODEL_NOT_FOUND'
      | 'MODEL_NOT_A_FILE'
      | 'MODEL_UNREADABLE'
      | 'MODEL_CORRUPT'
      | 'EXTERNAL_DATA_MISSING'
      | 'EXTERNAL_DATA_TRUNCATED'
      | 'EXTERNAL_DATA_OUTSIDE',
    readonly file: string,
    message: string,
    /** How to fix it, when the code alone does not say. */
    readonly fix?: string,
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
  const externalData = await checkExternalData(file, model);
  const tables = indexedInputs(graph);
  return {
    inputs: (graph.input ?? [])
      .filter((v) => !initializerNames.has(v.name))
      .map((v) => {
        const table = tables.get(v.name ?? '');
        return { ...valueInfo(v), ...(table ? { indexes: table } : {}) };
      }),
    outputs: (graph.output ?? []).map(valueInfo),
    externalData,
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain || 'ai.onnx', version: toNumber(o.version) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    nodeCount: graph.node.length,
    precision: graphPrecision(model),
  };
}

async function readModelBytes(file: string): Promise<Uint8Array> {
  try {
    // No size limit (models are large), but /dev/zero or a FIFO would never end: only a regular file is read.
    return await readBoundedFile(file, { what: 'model path' });
  } catch (error) {
    if (error instanceof ConfigError) {
      // A folder is the usual slip (the model's folder instead of its .onnx file): say what to name instead.
      const folder = (await stat(file).catch(() => undefined))?.isDirectory();
      throw new ModelFileError('MODEL_NOT_A_FILE', file, error.problem, folder ? 'name the .onnx file inside the folder, not the folder' : undefined);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelFileError('MODEL_NOT_FOUND', file, 'model file not found');
    const unreadable = (problem: string, fix: string) => new ModelFileError('MODEL_UNREADABLE', file, problem, fix);
    if (code === 'ELOOP') {
      throw unreadable(
        'the model path is a symbolic link that leads back to itself (a link loop)',
        'point the link at the real .onnx file, or name that file directly',
      );
    }
    if (code === 'EACCES' || code === 'EPERM') throw unreadable(`cannot read model file (${code}: permission denied)`, 'check the file permissions');
    throw unreadable(`cannot read model file (${code ?? String(error)})`, 'check that the path names a readable .onnx file');
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
        throw new ModelFileError(
          'MODEL_CORRUPT',
          file,
          `not a valid ONNX model (truncated or corrupt): node "${node.name || node.opType}" reads "${input}", which nothing produces`,
        );
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

/** A tensor somewhere in the model, and where, in words, for messages. */
interface PlacedTensor {
  tensor: OnnxTypes.ITensorProto;
  where: string;
}

/**
 * Every tensor the model holds, wherever it sits: initializers, sparse
 * initializers, tensors in node attributes (a Constant's value), and the same
 * inside subgraphs (If/Loop/Scan bodies) and model-local functions. Any of
 * them may keep its bytes in an external file, which is then part of the variant.
 */
function* modelTensors(model: OnnxTypes.IModelProto): Generator<PlacedTensor> {
  if (model.graph) yield* graphTensors(model.graph, 'graph');
  for (const fn of model.functions ?? []) yield* nodeTensors(fn.node ?? [], `function "${fn.name}"`);
}

function* graphTensors(graph: OnnxTypes.IGraphProto, path: string): Generator<PlacedTensor> {
  for (const tensor of graph.initializer ?? []) yield { tensor, where: `${path} initializer "${tensor.name}"` };
  for (const sparse of graph.sparseInitializer ?? []) yield* sparseTensors(sparse, `${path} sparse initializer "${sparse.values?.name ?? ''}"`);
  yield* nodeTensors(graph.node ?? [], path);
}

function* nodeTensors(nodes: readonly OnnxTypes.INodeProto[], path: string): Generator<PlacedTensor> {
  for (const node of nodes) {
    const nodeName = `${path} node "${node.name || node.opType}"`;
    for (const attribute of node.attribute ?? []) {
      const at = `${nodeName} attribute "${attribute.name}"`;
      if (attribute.t) yield { tensor: attribute.t, where: at };
      for (const [index, tensor] of (attribute.tensors ?? []).entries()) yield { tensor, where: `${at}[${index}]` };
      if (attribute.sparseTensor) yield* sparseTensors(attribute.sparseTensor, at);
      for (const [index, sparse] of (attribute.sparseTensors ?? []).entries()) yield* sparseTensors(sparse, `${at}[${index}]`);
      if (attribute.g) yield* graphTensors(attribute.g, `${at} subgraph`);
      for (const [index, graph] of (attribute.graphs ?? []).entries()) yield* graphTensors(graph, `${at}[${index}] subgraph`);
    }
  }
}

function* sparseTensors(sparse: OnnxTypes.ISparseTensorProto, where: string): Generator<PlacedTensor> {
  if (sparse.values) yield { tensor: sparse.values, where: `${where} values` };
  if (sparse.indices) yield { tensor: sparse.indices, where: `${where} indices` };
}

async function checkExternalData(file: string, model: OnnxTypes.IModelProto): Promise<ExternalDataRef[]> {
  const required = new Map<string, { bytes: number; where: string }>();
  for (const { tensor, where } of modelTensors(model)) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entries = new Map((tensor.externalData ?? []).map((e) => [e.key, e.value]));
    const location = entries.get('location');
    if (!location) throw new ModelFileError('MODEL_CORRUPT', file, `${where} is stored externally but names no location`);
    if (isAbsolute(location) || normalize(location).split(sep).includes('..')) {
      // Same rule as onnxruntime: external data must sit beside the model.
      throw new ModelFileError('EXTERNAL_DATA_OUTSIDE', file, `${where} points outside the model folder (location "${location}")`, OUTSIDE_FIX);
    }
    const offset = Number(entries.get('offset') ?? 0);
    const length = Number(entries.get('length') ?? 0);
    const previous = required.get(location);
    required.set(location, { bytes: Math.max(previous?.bytes ?? 0, offset + length), where: previous?.where ?? where });
  }
  const refs: ExternalDataRef[] = [];
  const folder = dirname(file);
  for (const [location, { bytes: requiredBytes, where }] of required) {
    const path = join(folder, location);
    await checkStaysInFolder(file, folder, path, location, where);
    const size = await stat(path).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size === undefined) {
      throw new ModelFileError('EXTERNAL_DATA_MISSING', path, `external data file of ${file} not found (or not a regular file), read by ${where}`);
    }
    if (size < requiredBytes) {
      throw new ModelFileError('EXTERNAL_DATA_TRUNCATED', path, `external data file is truncated: ${size} bytes, the model reads up to byte ${requiredBytes}`);
    }
    refs.push({ location, requiredBytes });
  }
  return refs;
}

const OUTSIDE_FIX =
  "keep the external data files in the model's folder as regular files (a link may point only to a file in that folder), " +
  'with locations relative to it; copy the data beside the .onnx file';

/**
 * A link in the model folder may lead anywhere (/etc/passwd): the file that is
 * hashed, signed and pushed must be the one beside the model, so the location
 * must resolve, links followed, to a file inside the model's real folder.
 */
async function checkStaysInFolder(file: string, folder: string, path: string, location: string, where: string): Promise<void> {
  const real = await realpath(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined; // reported as missing
    throw new ModelFileError('EXTERNAL_DATA_MISSING', path, `external data file of ${file} cannot be resolved (${error.code}), read by ${where}`);
  });
  if (real === undefined) return;
  const realFolder = await realpath(folder);
  const inside = relative(realFolder, real);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    const problem = `${where} reads "${location}", which leads through a link to ${real}, outside the model folder`;
    throw new ModelFileError('EXTERNAL_DATA_OUTSIDE', file, problem, OUTSIDE_FIX);
  }
}

function valueInfo(v: OnnxTypes.IValueInfoProto): ModelValueInfo {
  const tensor = v.type?.tensorType;
  return {
    name: v.name ?? '',
    type: elementTypeName(tensor?.elemType ?? 0),
    dims: (tensor?.shape?.dim ?? []).map((d) => (d.dimValue != null && toNumber(d.dimValue) > 0 ? toNumber(d.dimValue) : d.dimParam || null)),
  };
}
