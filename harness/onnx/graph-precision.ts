import type { GraphPrecision } from '../core/model-folder.ts';
import type { Precision } from '../core/suite.ts';
import { onnx, toNumber, type OnnxTypes } from './proto.ts';

const T = onnx.TensorProto.DataType;

/** Tensors smaller than this are scales, zero points, shapes and norms, not weights. */
const WEIGHT_ELEMENTS = 256;

/** Operators whose weight input holds packed low-bit blocks, and where that weight and its bit width are. */
const BLOCK_QUANTIZED: Record<string, { weight: number; bits: (node: OnnxTypes.INodeProto) => number }> = {
  MatMulNBits: { weight: 1, bits: (node) => intAttribute(node, 'bits') ?? 4 },
  GatherBlockQuantized: { weight: 0, bits: (node) => intAttribute(node, 'bits') ?? 4 },
  MatMulBnb4: { weight: 1, bits: () => 4 },
};

type WeightKind = 'float32' | 'float16' | 'bfloat16' | 'int8' | 'uint8' | 'int4';

/**
 * The precision of a model, read from its graph rather than its file name:
 * the data types of its weights (initializers and constants, in subgraphs
 * too), the bit width of block-quantized operators (MatMulNBits,
 * GatherBlockQuantized, MatMulBnb4), and float16 graph inputs and outputs.
 * A model quantized in one scheme is labelled by it (int4, q4f16, int8,
 * uint8) even when its embedding stays in float, as exporters label them;
 * two schemes, or float32 and float16 weights side by side, are mixed.
 */
export function graphPrecision(model: OnnxTypes.IModelProto): GraphPrecision {
  const graph = model.graph ?? {};
  const nodes = [...allNodes(graph.node ?? []), ...(model.functions ?? []).flatMap((fn) => [...allNodes(fn.node ?? [])])];
  const blockBits = new Map<string, number>();
  const blockOps = new Map<string, number>();
  for (const node of nodes) {
    const rule = BLOCK_QUANTIZED[node.opType ?? ''];
    const weight = rule && node.input?.[rule.weight];
    if (!rule || !weight) continue;
    const bits = rule.bits(node);
    blockBits.set(weight, bits);
    blockOps.set(`${node.opType} bits=${bits}`, (blockOps.get(`${node.opType} bits=${bits}`) ?? 0) + 1);
  }

  const elements = new Map<WeightKind, number>();
  const add = (kind: WeightKind, count: number) => elements.set(kind, (elements.get(kind) ?? 0) + count);
  for (const tensor of allTensors(graph, nodes)) {
    const count = (tensor.dims ?? []).map(toNumber).reduce((a, b) => a * b, 1);
    const bits = blockBits.get(tensor.name ?? '');
    if (bits !== undefined) {
      // Packed: each byte holds 8 / bits weights.
      add(bits <= 4 ? 'int4' : 'int8', count * Math.max(1, Math.floor(8 / bits)));
      continue;
    }
    if (count < WEIGHT_ELEMENTS) continue;
    const kind = WEIGHT_KINDS[tensor.dataType ?? 0];
    if (kind) add(kind, count);
  }

  const io = [...(graph.input ?? []), ...(graph.output ?? [])];
  const halfIo = io.filter((v) => v.type?.tensorType?.elemType === T.FLOAT16).map((v) => v.name ?? '');
  const share = (kind: WeightKind, of: WeightKind[]) =>
    (elements.get(kind) ?? 0) /
    Math.max(
      1,
      of.reduce((sum, k) => sum + (elements.get(k) ?? 0), 0),
    );
  const floats: WeightKind[] = ['float32', 'float16', 'bfloat16'];
  const quantized: WeightKind[] = ['int4', 'int8', 'uint8'];
  const present = quantized.filter((kind) => share(kind, quantized) >= 0.1);
  const floatWeights = floats.some((kind) => (elements.get(kind) ?? 0) > 0);
  // The float parts of a quantized model (embedding, scales, norms) say whether it computes in float16.
  const halfFloats = floatWeights ? share('float16', floats) >= 0.5 : halfIo.length > 0;

  const evidence = [
    ...[...blockOps].map(([op, n]) => `${op} on ${n} weight${n > 1 ? 's' : ''}`),
    ...[...elements]
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `${formatCount(n)} ${kind} weights`),
    ...(halfIo.length > 0 ? [`float16 ${halfIo.length === 1 ? 'input/output' : 'inputs/outputs'} (${listNames(halfIo)})`] : []),
  ];
  const label = ((): Precision => {
    if (present.length > 1) return 'mixed';
    if (present[0] === 'int4') return halfFloats ? 'q4f16' : 'int4';
    if (present[0] === 'int8' || present[0] === 'uint8') return present[0];
    if (floatWeights) return floatPrecision(share);
    return halfIo.length > 0 ? 'fp16' : 'fp32';
  })();
  return { label, evidence: evidence.length > 0 ? evidence.join('; ') : 'no weights found' };
}

function floatPrecision(share: (kind: WeightKind, of: WeightKind[]) => number): Precision {
  const floats: WeightKind[] = ['float32', 'float16', 'bfloat16'];
  if (share('float32', floats) >= 0.9) return 'fp32';
  if (share('float16', floats) >= 0.9) return 'fp16';
  if (share('bfloat16', floats) >= 0.9) return 'bf16';
  return 'mixed';
}

const WEIGHT_KINDS: Partial<Record<number, WeightKind>> = {
  [T.FLOAT]: 'float32',
  [T.FLOAT16]: 'float16',
  [T.BFLOAT16]: 'bfloat16',
  [T.INT8]: 'int8',
  [T.UINT8]: 'uint8',
  21: 'int4', // UINT4 (opset 21)
  22: 'int4', // INT4
};

function intAttribute(node: OnnxTypes.INodeProto, name: string): number | undefined {
  const attribute = node.attribute?.find((a) => a.name === name);
  return attribute ? toNumber(attribute.i) : undefined;
}

/** Every node, with the nodes of If/Loop/Scan bodies (a merged decoder keeps its whole model in them). */
function* allNodes(nodes: readonly OnnxTypes.INodeProto[]): Generator<OnnxTypes.INodeProto> {
  for (const node of nodes) {
    yield node;
    for (const attribute of node.attribute ?? []) {
      for (const graph of [attribute.g, ...(attribute.graphs ?? [])]) if (graph) yield* allNodes(graph.node ?? []);
    }
  }
}

/** Initializers (of subgraphs too) and Constant values: where weights live. */
function* allTensors(graph: OnnxTypes.IGraphProto, nodes: readonly OnnxTypes.INodeProto[]): Generator<OnnxTypes.ITensorProto> {
  yield* graph.initializer ?? [];
  for (const node of nodes) {
    if (node.opType === 'Constant') {
      const value = node.attribute?.find((a) => a.name === 'value')?.t;
      if (value) yield value;
    }
    for (const attribute of node.attribute ?? []) {
      for (const sub of [attribute.g, ...(attribute.graphs ?? [])]) if (sub) yield* sub.initializer ?? [];
    }
  }
}

const formatCount = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
const listNames = (names: string[]) => (names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', '));
