/**
 * The ggml tensor types edgebench writes and reads in GGUF files: their
 * numbers in the `ggml_type` enum (ggml/include/ggml.h) and their block
 * geometry (ggml/src/ggml-common.h: block_q8_0, block_q4_0, block_q5_0,
 * block_q4_K, block_q6_K). A row of `elements` values takes
 * elements / blockElements blocks of blockBytes bytes.
 */
export const ggmlTypes = {
  F32: { id: 0, blockElements: 1, blockBytes: 4, bits: 32 },
  F16: { id: 1, blockElements: 1, blockBytes: 2, bits: 16 },
  Q4_0: { id: 2, blockElements: 32, blockBytes: 18, bits: 4 },
  Q5_0: { id: 6, blockElements: 32, blockBytes: 22, bits: 5 },
  Q8_0: { id: 8, blockElements: 32, blockBytes: 34, bits: 8 },
  Q4_K: { id: 12, blockElements: 256, blockBytes: 144, bits: 4 },
  Q6_K: { id: 14, blockElements: 256, blockBytes: 210, bits: 6 },
} as const satisfies Record<string, { id: number; blockElements: number; blockBytes: number; bits: number }>;

export type GgmlType = keyof typeof ggmlTypes;

/** Every ggml_type name by number, including those edgebench does not write, for describing files from elsewhere. */
export const GGML_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

export function ggmlTypeName(id: number): string {
  return GGML_TYPE_NAMES[id] ?? `type ${id}`;
}

/** Bytes of `elements` values of a type (elements a multiple of its block size). */
export function typeBytes(type: GgmlType, elements: number): number {
  const { blockElements, blockBytes } = ggmlTypes[type];
  if (elements % blockElements !== 0) throw new Error(`${type} stores values in blocks of ${blockElements}; ${elements} values do not fill whole blocks`);
  return (elements / blockElements) * blockBytes;
}
