import { onnx } from '../../harness/onnx/proto.ts';
import type { DecoderGraph } from './decoder-graph.ts';

/** Added to the scores of masked positions; finite, so a fully masked row (a padded query) gives a uniform softmax, not NaN. */
const MASKED_SCORE = -1e9;

/**
 * The additive attention bias [batch, 1, sequence, total] shared by every layer.
 * Query i sits at absolute position past + i, so it may see key j when j <= past + i
 * (past = total - sequence, read from the input shapes) and attention_mask[b, j] is 1,
 * which hides left padding in both the new tokens and the cached ones.
 */
export function attentionBias(graph: DecoderGraph): string {
  const zero = graph.int64Constant('mask.zero', [], [0]);
  const one = graph.int64Constant('mask.one', [], [1]);
  const sequence = graph.op('Shape', ['input_ids'], 'mask.sequence_length', { start: 1, end: 2 });
  const total = graph.op('Shape', ['attention_mask'], 'mask.total_length', { start: 1, end: 2 });
  const past = graph.op('Sub', [total, sequence], 'mask.past_length');
  const totalScalar = graph.op('Squeeze', [total], 'mask.total_length.scalar');
  const pastScalar = graph.op('Squeeze', [past], 'mask.past_length.scalar');
  const keyPositions = graph.op('Range', [zero, totalScalar, one], 'mask.key_positions');
  const queryPositions = graph.op('Range', [pastScalar, totalScalar, one], 'mask.query_positions');
  const queryColumn = graph.op('Unsqueeze', [queryPositions, graph.int64Constant('mask.axes_1', [1], [1])], 'mask.query_column');
  const causal = graph.op('LessOrEqual', [keyPositions, queryColumn], 'mask.causal');
  const notPadding = graph.op('Cast', ['attention_mask'], 'mask.not_padding', { to: onnx.TensorProto.DataType.BOOL });
  const notPaddingRows = graph.op('Unsqueeze', [notPadding, graph.int64Constant('mask.axes_1_2', [2], [1, 2])], 'mask.not_padding.rows');
  const allowed = graph.op('And', [causal, notPaddingRows], 'mask.allowed');
  const allowedScore = graph.floatConstant('mask.allowed_score', [], Float32Array.of(0));
  const maskedScore = graph.floatConstant('mask.masked_score', [], Float32Array.of(MASKED_SCORE));
  return graph.op('Where', [allowed, allowedScore, maskedScore], 'mask.bias');
}

export interface AttentionShape {
  hiddenSize: number;
  heads: number;
  /** Standard deviation of the Q, K and V projection weights. */
  projectionStd: number;
  /** Standard deviation of the output projection, which writes into the residual stream. */
  outputStd: number;
}

/**
 * Multi-head self-attention of one layer over the cached and the new tokens.
 * Reads past_key_values.{layer}.key/value [batch, heads, past, head_dim] and writes
 * present.{layer}.key/value [batch, heads, past + sequence, head_dim], the names
 * Optimum's decoder-with-past exports use.
 */
export function selfAttention(graph: DecoderGraph, layer: number, input: string, bias: string, shape: AttentionShape): string {
  const prefix = `h.${layer}.attn`;
  const headSize = shape.hiddenSize / shape.heads;
  const splitShape = graph.int64Constant(`${prefix}.split_shape`, [4], [0, 0, shape.heads, headSize]);
  const mergeShape = graph.int64Constant(`${prefix}.merge_shape`, [3], [0, 0, shape.hiddenSize]);
  const toHeads = (projection: string) => {
    const name = `${prefix}.${projection}`;
    const projected = graph.linear(input, name, shape.hiddenSize, shape.hiddenSize, shape.projectionStd);
    const split = graph.op('Reshape', [projected, splitShape], `${name}.split`);
    return graph.op('Transpose', [split], `${name}.heads`, { perm: [0, 2, 1, 3] });
  };
  const query = toHeads('q_proj');
  const key = toHeads('k_proj');
  const value = toHeads('v_proj');
  const allKeys = graph.op('Concat', [`past_key_values.${layer}.key`, key], `present.${layer}.key`, { axis: 2 });
  const allValues = graph.op('Concat', [`past_key_values.${layer}.value`, value], `present.${layer}.value`, { axis: 2 });

  const keysTransposed = graph.op('Transpose', [allKeys], `${prefix}.keys_transposed`, { perm: [0, 1, 3, 2] });
  const scores = graph.op('MatMul', [query, keysTransposed], `${prefix}.scores`);
  const scale = graph.floatConstant(`${prefix}.score_scale`, [], Float32Array.of(1 / Math.sqrt(headSize)));
  const scaled = graph.op('Mul', [scores, scale], `${prefix}.scores_scaled`);
  const masked = graph.op('Add', [scaled, bias], `${prefix}.scores_masked`);
  const probabilities = graph.op('Softmax', [masked], `${prefix}.probabilities`, { axis: -1 });
  const context = graph.op('MatMul', [probabilities, allValues], `${prefix}.context`);
  const contextTokens = graph.op('Transpose', [context], `${prefix}.context_tokens`, { perm: [0, 2, 1, 3] });
  const merged = graph.op('Reshape', [contextTokens, mergeShape], `${prefix}.merged`);
  return graph.linear(merged, `${prefix}.out_proj`, shape.hiddenSize, shape.hiddenSize, shape.outputStd);
}
