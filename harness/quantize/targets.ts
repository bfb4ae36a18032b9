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

export function findMatMulTargets(graph: OnnxTypes.GraphProto): MatMulTarget[] {
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const graphInputs = new Set(graph.input.map((v) => v.name));
  const targets: MatMulTarget[] = [];
  for (const candidate of graph.node) {
    const [input, weightName] = candidate.input ?? [];
    const output = candidate.output?.[0];
    if (candidate.opType !== 'MatMul' || !isDefaultDomain(candidate) || !input || !output || !weightName) continue;
    const weight = initializers.get(weightName);
    // An initializer that is also a graph input can be overridden at run time: not a constant.
    if (!weight || graphInputs.has(weightName) || weight.dataType !== onnx.TensorProto.DataType.FLOAT) continue;
    const dims = dimsOf(weight);
    if (dims.length !== 2) continue;
    targets.push({ node: candidate, input, output, weight: weight as MatMulTarget['weight'], k: dims[0]!, n: dims[1]!, layer: candidate.name || weightName });
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

export function matchesAny(target: MatMulTarget, patterns: readonly RegExp[]): boolean {
  return patterns.some((p) => p.test(target.layer) || p.test(target.weight.name));
}

/** Removes initializers no node reads any more (the fp32 weights a rewrite replaced). */
export function dropUnreadInitializers(graph: OnnxTypes.GraphProto): void {
  const read = new Set<string>();
  for (const n of graph.node) for (const input of n.input ?? []) read.add(input);
  for (const o of graph.output) read.add(o.name ?? '');
  const removed = new Set(graph.initializer.filter((t) => !read.has(t.name ?? '')).map((t) => t.name));
  graph.initializer = graph.initializer.filter((t) => !removed.has(t.name));
  // Older exporters also list initializers as graph inputs; those declarations go with them.
  graph.input = graph.input.filter((v) => !removed.has(v.name));
}
