import { ModelFileError } from '../onnx/model-file.ts';
import { onnx, type OnnxTypes } from '../onnx/proto.ts';
import { dimsOf, floatValues, loadEditableModel } from '../quantize/model-graph.ts';
import type { LlamaConfig } from '../core/gguf.ts';

/** A weight in Hugging Face layout: row-major [rows, columns] (a Linear's [out, in]), or a vector. */
export interface HfWeight {
  values: Float32Array;
  /** [rows, columns] for a matrix, [length] for a vector. */
  shape: number[];
}

/** The weights of a Llama decoder by GGUF tensor name (gguf-py's MODEL_TENSOR names for LLM_ARCH_LLAMA). */
export type LlamaWeights = Map<string, HfWeight>;

/** The projection a MatMul node computes, from the node names torch.onnx.export writes (/model/layers.N/self_attn/q_proj/MatMul). */
const PROJECTIONS: { pattern: RegExp; gguf: string }[] = [
  { pattern: /layers\.(\d+)\/(?:self_attn\/)?q_proj\//, gguf: 'attn_q' },
  { pattern: /layers\.(\d+)\/(?:self_attn\/)?k_proj\//, gguf: 'attn_k' },
  { pattern: /layers\.(\d+)\/(?:self_attn\/)?v_proj\//, gguf: 'attn_v' },
  { pattern: /layers\.(\d+)\/(?:self_attn\/)?o_proj\//, gguf: 'attn_output' },
  { pattern: /layers\.(\d+)\/(?:mlp\/)?gate_proj\//, gguf: 'ffn_gate' },
  { pattern: /layers\.(\d+)\/(?:mlp\/)?up_proj\//, gguf: 'ffn_up' },
  { pattern: /layers\.(\d+)\/(?:mlp\/)?down_proj\//, gguf: 'ffn_down' },
];

const NORMS: { pattern: RegExp; gguf: (layer: string) => string }[] = [
  { pattern: /^model\.layers\.(\d+)\.input_layernorm\.weight$/, gguf: (n) => `blk.${n}.attn_norm.weight` },
  { pattern: /^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, gguf: (n) => `blk.${n}.ffn_norm.weight` },
  { pattern: /^model\.norm\.weight$/, gguf: () => 'output_norm.weight' },
];

/**
 * Reads a Llama decoder's fp32 weights out of its ONNX export (Optimum or
 * transformers.js layout from torch.onnx.export): MatMul weights are stored
 * [in, out] and come back transposed to Hugging Face's [out, in]; the
 * embedding is the table Gather reads with input_ids; RMSNorm scales keep
 * their Hugging Face names. Anything missing is a ModelFileError naming it.
 */
export async function llamaWeightsFromOnnx(file: string, config: LlamaConfig): Promise<LlamaWeights> {
  const { graph } = await loadEditableModel(file);
  const initializers = new Map(graph.initializer.map((t) => [t.name, t]));
  const weights: LlamaWeights = new Map();
  const float = (tensor: OnnxTypes.ITensorProto) => {
    if (tensor.dataType !== onnx.TensorProto.DataType.FLOAT) {
      throw new ModelFileError(
        'MODEL_CORRUPT',
        file,
        `weight ${tensor.name} is not float32: convert reads the fp32 export (model.onnx), not a quantized or fp16 one`,
      );
    }
    return floatValues(tensor);
  };
  for (const node of graph.node) {
    const inputs = node.input ?? [];
    if (node.opType === 'Gather' && inputs[1] === 'input_ids' && initializers.has(inputs[0]!)) {
      const table = initializers.get(inputs[0]!)!;
      weights.set('token_embd.weight', { values: float(table), shape: dimsOf(table) });
    }
    if (node.opType !== 'MatMul' || !initializers.has(inputs[1]!)) continue;
    const tensor = initializers.get(inputs[1]!)!;
    const [rows, columns] = dimsOf(tensor) as [number, number];
    const name = node.name ?? '';
    const projection = PROJECTIONS.find((p) => p.pattern.test(name));
    const gguf = projection
      ? `blk.${projection.pattern.exec(name)![1]}.${projection.gguf}.weight`
      : isOutputHead(name, node.output ?? [], rows, columns, config)
        ? 'output.weight'
        : undefined;
    if (gguf) weights.set(gguf, { values: transpose(float(tensor), rows, columns), shape: [columns, rows] });
  }
  for (const tensor of graph.initializer) {
    const tensorName = tensor.name ?? '';
    const norm = NORMS.find((n) => n.pattern.test(tensorName));
    if (norm) weights.set(norm.gguf(norm.pattern.exec(tensorName)![1] ?? ''), { values: float(tensor), shape: dimsOf(tensor) });
  }
  const expected = ['token_embd.weight', 'output_norm.weight', ...(config.tie_word_embeddings ? [] : ['output.weight'])];
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    for (const part of ['attn_norm', 'attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_norm', 'ffn_gate', 'ffn_up', 'ffn_down'])
      expected.push(`blk.${layer}.${part}.weight`);
  }
  const missing = expected.filter((name) => !weights.has(name));
  if (missing.length > 0) {
    throw new ModelFileError(
      'MODEL_CORRUPT',
      file,
      `not a Llama decoder export edgebench can convert: no ${missing.slice(0, 4).join(', ')}${missing.length > 4 ? ` and ${missing.length - 4} more` : ''} ` +
        '(it reads the q/k/v/o_proj, gate/up/down_proj and lm_head MatMuls by their node names (the head also as the MatMul writing logits, or by its shape, hidden size to vocabulary) and the RMSNorm weights by their Hugging Face names)',
    );
  }
  return weights;
}

/**
 * The output head: lm_head by name (Optimum, transformers.js), or, as torch 1.13's export names it
 * (/model/MatMul), the MatMul outside the layers from the hidden size to the vocabulary.
 */
/** The head by its module name, as the MatMul writing `logits` (a bare weight applied as /model/MatMul), or by its shape outside the layers. */
function isOutputHead(name: string, outputs: string[], rows: number, columns: number, config: LlamaConfig): boolean {
  return /lm_head/.test(name) || outputs.includes('logits') || (!/layers\.\d+\//.test(name) && rows === config.hidden_size && columns === config.vocab_size);
}

function transpose(values: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) out[c * rows + r] = values[r * columns + c]!;
  return out;
}

/**
 * llama.cpp applies rotary embeddings to adjacent pairs (x0, x1), (x2, x3), ...
 * of each head, Hugging Face's Llama to the two halves (x_i, x_{i + d/2}), so
 * the rows of the Q and K projections are reordered per head: row 2i + j of a
 * head is Hugging Face row j·d/2 + i (LlamaModel.permute in llama.cpp's
 * convert_hf_to_gguf.py).
 */
export function permuteForRope(weight: HfWeight, heads: number): HfWeight {
  const [rows, columns] = weight.shape as [number, number];
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(weight.values.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const to = h * headDim + 2 * i + j;
        const from = h * headDim + j * half + i;
        out.set(weight.values.subarray(from * columns, (from + 1) * columns), to * columns);
      }
    }
  }
  return { values: out, shape: weight.shape };
}
