import { model, tensorValue } from '../../harness/onnx/build.ts';
import { onnx, type OnnxTypes } from '../../harness/onnx/proto.ts';
import { attentionBias, selfAttention } from './decoder-attention.ts';
import { DecoderGraph } from './decoder-graph.ts';
import { gaussian, seededRandom } from './random.ts';

export interface DecoderShape {
  vocabularySize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  ffnSize: number;
  /** Length of the learned position table; position_ids must stay below it. */
  maxPositions: number;
  seed: number;
}

/** Symbolic dimension names, as in Optimum's decoder-with-past exports. */
const BATCH = 'batch_size';
const SEQUENCE = 'sequence_length';
const PAST = 'past_sequence_length';
const TOTAL = 'total_sequence_length';

/** GPT-2's embedding initialisation. */
const EMBEDDING_STD = 0.02;
const POSITION_STD = 0.01;

/**
 * A GPT-2 style decoder-only transformer with a KV cache, in the input/output
 * layout of Optimum's "with past" decoder exports (the one transformers.js loads):
 *
 *   inputs   input_ids, attention_mask, position_ids       int64
 *            past_key_values.{i}.key / .value               float32 [batch, heads, past, head_dim]
 *   outputs  logits                                          float32 [batch, sequence, vocabulary]
 *            present.{i}.key / .value                       float32 [batch, heads, past + sequence, head_dim]
 *
 * The first step passes empty past tensors (past = 0). Each layer is pre-LayerNorm:
 * attention and a Gelu MLP, each added to the residual stream. Only default-domain
 * opset 17 operators are used, so any onnxruntime build can run it.
 *
 * Tests build it in whatever shape they need, in milliseconds and without
 * committed files; the demo's own decoder is the trained Llama-style one
 * (test/fixtures/models/trained-decoder).
 *
 * Weights are seeded random. Matrices use std 1/sqrt(fan_in) rather than GPT-2's
 * flat 0.02: on an untrained model of this width 0.02 gives near-uniform attention
 * and near-constant logits, which would hide cache and masking bugs. Writes into
 * the residual stream are further scaled by 1/sqrt(2 * layers), as in GPT-2.
 */
export function buildDecoder(shape: DecoderShape): OnnxTypes.ModelProto {
  checkShape(shape);
  const graph = new DecoderGraph(gaussian(seededRandom(shape.seed)));
  const { hiddenSize, ffnSize, vocabularySize } = shape;
  const residualScale = 1 / Math.sqrt(2 * shape.layers);

  const tokenTable = graph.randomWeight('wte.weight', [vocabularySize, hiddenSize], EMBEDDING_STD);
  const positionTable = graph.randomWeight('wpe.weight', [shape.maxPositions, hiddenSize], POSITION_STD);
  const tokens = graph.op('Gather', [tokenTable, 'input_ids'], 'wte.out', { axis: 0 });
  const positions = graph.op('Gather', [positionTable, 'position_ids'], 'wpe.out', { axis: 0 });
  let hidden = graph.op('Add', [tokens, positions], 'embeddings');
  const bias = attentionBias(graph);

  for (let layer = 0; layer < shape.layers; layer++) {
    const prefix = `h.${layer}`;
    const attentionInput = graph.layerNorm(hidden, `${prefix}.ln_1`, hiddenSize);
    const attention = selfAttention(graph, layer, attentionInput, bias, {
      hiddenSize,
      heads: shape.heads,
      projectionStd: 1 / Math.sqrt(hiddenSize),
      outputStd: residualScale / Math.sqrt(hiddenSize),
    });
    hidden = graph.op('Add', [hidden, attention], `${prefix}.attn.residual`);

    const mlpInput = graph.layerNorm(hidden, `${prefix}.ln_2`, hiddenSize);
    const up = graph.linear(mlpInput, `${prefix}.mlp.fc_in`, hiddenSize, ffnSize, 1 / Math.sqrt(hiddenSize));
    const activated = gelu(graph, up, `${prefix}.mlp.gelu`);
    const down = graph.linear(activated, `${prefix}.mlp.fc_out`, ffnSize, hiddenSize, residualScale / Math.sqrt(ffnSize));
    hidden = graph.op('Add', [hidden, down], `${prefix}.mlp.residual`);
  }

  const final = graph.layerNorm(hidden, 'ln_f', hiddenSize);
  // Untied from wte, so a quantizer sees lm_head as one more constant MatMul weight.
  const lmHead = graph.randomWeight('lm_head.weight', [hiddenSize, vocabularySize], 1 / Math.sqrt(hiddenSize));
  graph.op('MatMul', [final, lmHead], 'logits');

  const { FLOAT, INT64 } = onnx.TensorProto.DataType;
  const headSize = hiddenSize / shape.heads;
  const layerIndices = Array.from({ length: shape.layers }, (_, i) => i);
  const cache = (prefix: string, length: string) =>
    layerIndices.flatMap((i) => ['key', 'value'].map((kind) => tensorValue(`${prefix}.${i}.${kind}`, FLOAT, [BATCH, shape.heads, length, headSize])));
  return model(
    {
      name: 'demo-byte-decoder',
      node: graph.nodes,
      initializer: graph.initializer,
      input: [
        tensorValue('input_ids', INT64, [BATCH, SEQUENCE]),
        tensorValue('attention_mask', INT64, [BATCH, TOTAL]),
        tensorValue('position_ids', INT64, [BATCH, SEQUENCE]),
        ...cache('past_key_values', PAST),
      ],
      output: [tensorValue('logits', FLOAT, [BATCH, SEQUENCE, vocabularySize]), ...cache('present', TOTAL)],
    },
    [{ version: 17 }],
  );
}

/** Number of weights and biases buildDecoder creates for a shape. */
export function decoderParameterCount(shape: DecoderShape): number {
  const { vocabularySize: v, hiddenSize: h, ffnSize: f, layers, maxPositions } = shape;
  const layerNorm = 2 * h;
  const attention = 4 * (h * h + h);
  const mlp = h * f + f + f * h + h;
  return v * h + maxPositions * h + layers * (2 * layerNorm + attention + mlp) + layerNorm + h * v;
}

/** Gelu by its exact erf form, 0.5 * x * (1 + erf(x / sqrt 2)): opset 17 has no Gelu operator, and onnxruntime fuses this pattern. */
function gelu(graph: DecoderGraph, input: string, name: string): string {
  const invSqrt2 = graph.floatConstant(`${name}.inv_sqrt2`, [], Float32Array.of(Math.SQRT1_2));
  const one = graph.floatConstant(`${name}.one`, [], Float32Array.of(1));
  const half = graph.floatConstant(`${name}.half`, [], Float32Array.of(0.5));
  const scaled = graph.op('Mul', [input, invSqrt2], `${name}.scaled`);
  const erf = graph.op('Erf', [scaled], `${name}.erf`);
  const shifted = graph.op('Add', [erf, one], `${name}.shifted`);
  const gated = graph.op('Mul', [input, shifted], `${name}.gated`);
  return graph.op('Mul', [gated, half], `${name}.out`);
}

function checkShape(shape: DecoderShape): void {
  for (const [field, value] of Object.entries(shape)) {
    if (field !== 'seed' && !(Number.isInteger(value) && value > 0)) {
      throw new RangeError(`DecoderShape.${field} must be a positive integer, got ${value}`);
    }
  }
  if (shape.hiddenSize % shape.heads !== 0) {
    throw new RangeError(
      `DecoderShape.hiddenSize (${shape.hiddenSize}) must be a multiple of heads (${shape.heads}): each head gets hiddenSize / heads dimensions`,
    );
  }
}

/** The demo's tokenizer: UTF-8 bytes are the token ids, so the vocabulary is 256 and needs no file. */
export function encodeBytes(text: string): number[] {
  return Array.from(new TextEncoder().encode(text));
}

/** Inverse of encodeBytes; byte sequences that are not valid UTF-8 decode to U+FFFD. */
export function decodeBytes(ids: readonly number[]): string {
  for (const id of ids) {
    if (!(Number.isInteger(id) && id >= 0 && id < 256)) throw new RangeError(`decodeBytes: token id ${id} is not a byte (0-255)`);
  }
  return new TextDecoder().decode(Uint8Array.from(ids));
}
