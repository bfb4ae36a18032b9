import type { GgufQuant } from '../core/gguf.ts';
import { ggmlTypes, type GgmlType } from './ggml-types.ts';

/** llama_ftype numbers (llama.h) written as general.file_type. */
export const FILE_TYPES = { f16: 1, q8_0: 7, q4_0: 2, q4_k_m: 15 } as const satisfies Record<GgufQuant, number>;

/** What every 2-D tensor becomes unless a rule below says otherwise. */
const BASE_TYPES = { f16: 'F16', q8_0: 'Q8_0', q4_0: 'Q4_0', q4_k_m: 'Q4_K' } as const satisfies Record<GgufQuant, GgmlType>;

/**
 * K-quants need rows of 256 values; llama.cpp falls back to a 32-block type
 * of about the same size for rows that are not (llama-quant.cpp, "fallback").
 */
const K_FALLBACK: Partial<Record<GgmlType, GgmlType>> = { Q4_K: 'Q5_0', Q6_K: 'Q8_0' };

/** llama-quant.cpp's use_more_bits: the first and last eighth of the layers, and every third one between. */
function useMoreBits(layer: number, layers: number): boolean {
  const eighth = Math.floor(layers / 8);
  return layer < eighth || layer >= Math.floor((7 * layers) / 8) || (layer - eighth) % 3 === 2;
}

export interface TensorToQuantize {
  name: string;
  /** GGUF order: ne[0] (the row length) first. */
  dims: readonly number[];
}

/**
 * The ggml type of one tensor in a file of the given quantization, after
 * llama.cpp's llama_tensor_get_type (src/llama-quant.cpp) for the Llama
 * architecture: 1-D tensors (norms) stay F32; the output head (or the tied
 * embedding when there is no head) is Q6_K unless the file is Q8_0; in
 * Q4_K_M, attn_v and ffn_down of the layers use_more_bits picks are Q6_K.
 * A type whose block does not divide the row falls back as llama.cpp does,
 * and to F16 when no block fits.
 */
export function tensorType(quant: GgufQuant, tensor: TensorToQuantize, layers: number, hasOutput: boolean): GgmlType {
  if (tensor.dims.length < 2) return 'F32';
  let type: GgmlType = BASE_TYPES[quant];
  const layer = Number(/^blk\.(\d+)\./.exec(tensor.name)?.[1] ?? -1);
  if (quant !== 'f16') {
    if (tensor.name === 'output.weight' || (!hasOutput && tensor.name === 'token_embd.weight')) {
      if (type !== 'Q8_0') type = 'Q6_K';
    } else if (quant === 'q4_k_m' && (tensor.name.endsWith('.attn_v.weight') || tensor.name.endsWith('.ffn_down.weight')) && useMoreBits(layer, layers)) {
      type = 'Q6_K';
    }
  }
  const rowLength = tensor.dims[0]!;
  if (rowLength % ggmlTypes[type].blockElements !== 0) type = K_FALLBACK[type] ?? type;
  if (rowLength % ggmlTypes[type].blockElements !== 0) type = 'F16';
  return type;
}
