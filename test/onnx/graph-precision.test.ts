import { describe, expect, it } from 'vitest';
import { model, node, rawTensor, tensorValue } from '../../harness/onnx/build.ts';
import { graphPrecision } from '../../harness/onnx/graph-precision.ts';
import { onnx } from '../../harness/onnx/proto.ts';

const T = onnx.TensorProto.DataType;
const weight = (name: string, type: number, elements: number) =>
  rawTensor(name, type, [elements], new Uint8Array(elements * (type === T.FLOAT ? 4 : type === T.FLOAT16 ? 2 : 1)));

/** A graph of the given weights and nodes, with float32 or float16 logits. */
function graph(initializer: ReturnType<typeof rawTensor>[], nodes: ReturnType<typeof node>[], logits = T.FLOAT) {
  return model(
    {
      node: nodes,
      initializer,
      input: [tensorValue('input_ids', T.INT64, ['batch', 'sequence'])],
      output: [tensorValue('logits', logits, ['batch', 'sequence', 32])],
    },
    [{ version: 17 }, { domain: 'com.microsoft', version: 1 }],
  );
}

describe('precision read from the graph', () => {
  it('labels float graphs by the type of at least 90% of their weights, and a half-and-half graph mixed', () => {
    expect(graphPrecision(graph([weight('w', T.FLOAT, 4096)], [])).label).toBe('fp32');
    expect(graphPrecision(graph([weight('w', T.FLOAT16, 4096)], [], T.FLOAT16)).label).toBe('fp16');
    expect(graphPrecision(graph([weight('w', T.BFLOAT16, 4096)], [])).label).toBe('bf16');
    expect(graphPrecision(graph([weight('a', T.FLOAT, 4096), weight('b', T.FLOAT16, 4096)], [])).label).toBe('mixed');
  });

  it('reads int4 from MatMulNBits and GatherBlockQuantized bits, q4f16 when the float parts are float16', () => {
    const blocks = [node('MatMulNBits', ['x', 'qw', 'scales'], ['y'], { bits: 4, K: 64, N: 64, block_size: 32 }, 'com.microsoft')];
    const gather = [node('GatherBlockQuantized', ['qe', 'input_ids', 'escales'], ['e'], { bits: 4, block_size: 32 }, 'com.microsoft')];
    const q4 = graphPrecision(graph([weight('qw', T.UINT8, 2048), weight('emb', T.FLOAT, 1024)], blocks));
    expect(q4).toEqual({ label: 'int4', evidence: 'MatMulNBits bits=4 on 1 weight; 4.1k int4 weights; 1.0k float32 weights' });
    expect(graphPrecision(graph([weight('qe', T.UINT8, 2048), weight('s', T.FLOAT16, 1024)], gather, T.FLOAT16)).label).toBe('q4f16');
    // An 8-bit MatMulNBits is int8, whatever type holds its bytes.
    const eightBit = [node('MatMulNBits', ['x', 'qw', 'scales'], ['y'], { bits: 8, K: 64, N: 64, block_size: 32 }, 'com.microsoft')];
    expect(graphPrecision(graph([weight('qw', T.UINT8, 4096)], eightBit)).label).toBe('int8');
  });

  it('labels int8 and uint8 weights by their type, and two quantized schemes side by side mixed', () => {
    expect(graphPrecision(graph([weight('w', T.INT8, 4096), weight('emb', T.FLOAT, 4096)], [])).label).toBe('int8');
    expect(graphPrecision(graph([weight('w', T.UINT8, 4096)], [])).label).toBe('uint8');
    const blocks = [node('MatMulNBits', ['x', 'qw', 'scales'], ['y'], { bits: 4 }, 'com.microsoft')];
    expect(graphPrecision(graph([weight('qw', T.UINT8, 2048), weight('head', T.INT8, 4096)], blocks)).label).toBe('mixed');
  });

  it('finds weights inside If branches, as a merged decoder keeps them', () => {
    const branch = (name: string) =>
      onnx.GraphProto.create({ name, initializer: [weight(`${name}_w`, T.FLOAT16, 4096)], output: [tensorValue('logits', T.FLOAT16, [])] });
    const ifNode = node('If', ['use_cache_branch'], ['logits']);
    ifNode.attribute = [
      onnx.AttributeProto.create({ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('then') }),
      onnx.AttributeProto.create({ name: 'else_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch('else') }),
    ];
    expect(graphPrecision(graph([], [ifNode], T.FLOAT16))).toMatchObject({ label: 'fp16', evidence: expect.stringContaining('8.2k float16 weights') });
  });
});
