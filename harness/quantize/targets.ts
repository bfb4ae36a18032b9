import { floatTensor, node } from '../onnx/build.ts';
import { onnx, toNumber, type OnnxTypes } from '../onnx/proto.ts';
import { dimsOf, floatValues, uniqueNamer } from './model-graph.ts';

/** A MatMul whose second input is a constant 2-D float32 weight: what weight quantization replaces. */
export interface MatMulTarget {
  node: OnnxTypes.INodeProto;
  input: string;
  output: string;
  weight: OnnxTypes.ITensorProto & { name: string };
  /** Rows of the weight (the reduction dimension) and its columns (output features). */
  k: number;
  n: number;
  /** The name matched by --exclude patterns: the node's name, or its weight's when unnamed. */
  layer: string;
  /**
   * The weight is stored [N, K] and read through a Transpose (perm [1, 0]), as exports without
   * constant folding and tied output heads have it; the Transpose goes when the MatMul is replaced.
   */
  transposed: boolean;
}

/** A Gather over a constant 2-D float32 table along axis 0: an embedding lookup. */
export interface GatherTarget {
  node: OnnxTypes.INodeProto;
  indices: string;
  output: string;
  table: OnnxTypes.ITensorProto & { name: string };
  /** Rows (vocabulary) and columns (hidden size). */
  rows: number;
  cols: number;
  layer: string;
}

const isDefaultDomain = (n: OnnxTypes.INodeProto) => !n.domain || n.domain === 'ai.onnx';

function attributeNumber(n: OnnxTypes.INodeProto, key: string, fallback: number): number {
  const a = (n.attribute ?? []).find((x) => x.name === key);
  if (!a) return fallback;
  return a.type === onnx.AttributeProto.AttributeType.FLOAT ? (a.f ?? fallback) : toNumber(a.i);
}

/**
 * Gemm with a constant B is rewritten as MatMul (+ Add for C), folding alpha,
 * beta and transB into the constants, so one quantizer serves both operators.
 * Gemm with transA, or with a computed B, is left alone.
 */
export function gemmToMatMul(graph: OnnxTypes.GraphProto): number {
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const name = uniqueNamer(graph);
  let rewritten = 0;
  graph.node = graph.node.flatMap((gemm): OnnxTypes.INodeProto[] => {
    const [a, bName, c] = gemm.input ?? [];
    const output = gemm.output?.[0];
    const b = initializers.get(bName);
    if (gemm.opType !== 'Gemm' || !isDefaultDomain(gemm) || !a || !output || !b) return [gemm];
    if (attributeNumber(gemm, 'transA', 0) !== 0 || b.dataType !== onnx.TensorProto.DataType.FLOAT || dimsOf(b).length !== 2) return [gemm];
    const [rows, cols] = dimsOf(b) as [number, number];
    const transB = attributeNumber(gemm, 'transB', 0) !== 0;
    const alpha = attributeNumber(gemm, 'alpha', 1);
    const beta = attributeNumber(gemm, 'beta', 1);
    const values = floatValues(b);
    const [k, n] = transB ? [cols, rows] : [rows, cols];
    const weight = new Float32Array(k * n);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) weight[i * n + j] = alpha * (transB ? values[j * cols + i]! : values[i * n + j]!);
    const weightName = name(`${bName}_matmul`);
    graph.initializer.push(floatTensor(weightName, [k, n], weight));
    rewritten++;
    const matmul = (out: string) => Object.assign(node('MatMul', [a, weightName], [out]), { name: gemm.name || `Gemm_${output}` });
    if (!c) return [matmul(output)];
    const product = name(`${output}_matmul`);
    if (beta === 1) return [matmul(product), node('Add', [product, c], [output])];
    const cTensor = initializers.get(c);
    if (cTensor && cTensor.dataType === onnx.TensorProto.DataType.FLOAT) {
      const scaledName = name(`${c}_beta`);
      graph.initializer.push(
        floatTensor(
          scaledName,
          dimsOf(cTensor),
          floatValues(cTensor).map((v) => v * beta),
        ),
      );
      return [matmul(product), node('Add', [product, scaledName], [output])];
    }
    const betaName = name(`${output}_beta`);
    graph.initializer.push(floatTensor(betaName, [], Float32Array.of(beta)));
    const scaledC = name(`${c}_scaled`);
    return [matmul(product), node('Mul', [c, betaName], [scaledC]), node('Add', [product, scaledC], [output])];
  });
  dropUnreadInitializers(graph);
  return rewritten;
}

/** Float32 2-D initializers that are true constants (an initializer that is also a graph input can be overridden at run time). */
function constantMatrices(graph: OnnxTypes.GraphProto): Map<string, OnnxTypes.ITensorProto & { name: string }> {
  const graphInputs = new Set(graph.input.map((v) => v.name));
  return new Map(
    graph.initializer
      .filter((t) => !graphInputs.has(t.name) && t.dataType === onnx.TensorProto.DataType.FLOAT && dimsOf(t).length === 2)
      .map((t) => [t.name as string, t as OnnxTypes.ITensorProto & { name: string }]),
  );
}

export function findMatMulTargets(graph: OnnxTypes.GraphProto): MatMulTarget[] {
  const constants = constantMatrices(graph);
  // Transpose(W) of a constant matrix: the weight of a head tied to the embedding, or of an unfolded export.
  const transposedWeights = new Map<string, OnnxTypes.ITensorProto & { name: string }>();
  for (const t of graph.node) {
    const source = constants.get(t.input?.[0] ?? '');
    const perm = (t.attribute ?? []).find((a) => a.name === 'perm')?.ints?.map(toNumber);
    if (t.opType === 'Transpose' && isDefaultDomain(t) && source && (!perm || (perm[0] === 1 && perm[1] === 0))) transposedWeights.set(t.output![0]!, source);
  }
  const targets: MatMulTarget[] = [];
  for (const candidate of graph.node) {
    const [input, weightName] = candidate.input ?? [];
    const output = candidate.output?.[0];
    if (candidate.opType !== 'MatMul' || !isDefaultDomain(candidate) || !input || !output || !weightName) continue;
    const direct = constants.get(weightName);
    const transposed = transposedWeights.get(weightName);
    const weight = direct ?? transposed;
    if (!weight) continue;
    const [rows, cols] = dimsOf(weight) as [number, number];
    const [k, n] = direct ? [rows, cols] : [cols, rows];
    targets.push({ node: candidate, input, output, weight, k, n, layer: candidate.name || weight.name, transposed: !direct });
  }
  return targets;
}

/** Layers sharing a weight (and its orientation) share its quantized form. */
export const weightKey = (t: MatMulTarget) => `${t.weight.name}${t.transposed ? ' transposed' : ''}`;

/** The weight as the [K, N] row-major matrix the MatMul multiplies by. */
export function weightMatrix(target: MatMulTarget): Float32Array {
  const values = floatValues(target.weight);
  return target.transposed ? transposeMatrix(values, target.n, target.k) : values;
}

export function transposeMatrix(values: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}

export function findGatherTargets(graph: OnnxTypes.GraphProto): GatherTarget[] {
  const constants = constantMatrices(graph);
  const targets: GatherTarget[] = [];
  for (const candidate of graph.node) {
    const [tableName, indices] = candidate.input ?? [];
    const output = candidate.output?.[0];
    const table = constants.get(tableName ?? '');
    if (candidate.opType !== 'Gather' || !isDefaultDomain(candidate) || !table || !indices || !output) continue;
    if (attributeNumber(candidate, 'axis', 0) !== 0) continue;
    const [rows, cols] = dimsOf(table) as [number, number];
    targets.push({ node: candidate, indices, output, table, rows, cols, layer: candidate.name || table.name });
  }
  return targets;
}

/** `*` matches any run of characters; anything else is literal. Matched against the whole layer name. */
export function layerPattern(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

export function matchesAny(target: MatMulTarget | GatherTarget, patterns: readonly RegExp[]): boolean {
  const weight = 'weight' in target ? target.weight.name : target.table.name;
  return patterns.some((p) => p.test(target.layer) || p.test(weight));
}

/** Removes initializers no node reads any more (the fp32 weights a rewrite replaced), and the Transposes that read them. */
export function dropUnreadInitializers(graph: OnnxTypes.GraphProto): void {
  const initializerNames = new Set(graph.initializer.map((t) => t.name));
  for (let changed = true; changed;) {
    const readers = new Set<string>();
    for (const n of graph.node) for (const input of n.input ?? []) readers.add(input);
    for (const o of graph.output) readers.add(o.name ?? '');
    const before = graph.node.length;
    graph.node = graph.node.filter((n) => n.opType !== 'Transpose' || !initializerNames.has(n.input?.[0] ?? '') || readers.has(n.output?.[0] ?? ''));
    changed = graph.node.length !== before;
  }
  const read = new Set<string>();
  for (const n of graph.node) for (const input of n.input ?? []) read.add(input);
  for (const o of graph.output) read.add(o.name ?? '');
  const removed = new Set(graph.initializer.filter((t) => !read.has(t.name ?? '')).map((t) => t.name));
  graph.initializer = graph.initializer.filter((t) => !removed.has(t.name));
  // Older exporters also list initializers as graph inputs; those declarations go with them.
  graph.input = graph.input.filter((v) => !removed.has(v.name));
}
