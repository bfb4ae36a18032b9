import type { Precision } from '../core/suite.ts';

/**
 * The precisions a variant's name promises, as exporters name their files:
 * transformers.js / Optimum suffixes (model_q4f16.onnx -> "q4f16") and the
 * words of onnxruntime-genai build folders (cpu-int4-rtn-block-32 -> "int4").
 * "quantized" is what Optimum's dynamic quantizer writes: 8-bit, signed or not.
 */
const PROMISES: Record<string, readonly Precision[]> = {
  fp32: ['fp32'],
  fp16: ['fp16'],
  bf16: ['bf16'],
  int8: ['int8'],
  uint8: ['uint8'],
  quantized: ['int8', 'uint8', 'mixed'],
  q4: ['int4', 'mixed'],
  int4: ['int4', 'q4f16', 'mixed'],
  q4f16: ['q4f16'],
  bnb4: ['int4'],
};

/** transformers.js / Optimum suffixes in the order their exporters list them: the order of a folder's variants of equal precision. */
export const SUFFIX_ORDER = ['', 'fp16', 'bf16', 'int8', 'uint8', 'quantized', 'q4', 'q4f16', 'bnb4'];

/** The variant name of a file's suffix: the plain file is fp32, as transformers.js calls it. */
export function variantNameOfSuffix(suffix: string): string {
  return suffix === '' ? 'fp32' : suffix;
}

/**
 * What a name promises: the whole name when it is a known suffix, else the
 * first known word of it (build folders join words with - or _). None when
 * the name says nothing about precision.
 */
export function promisedPrecision(name: string): { word: string; precisions: readonly Precision[] } | undefined {
  const whole = PROMISES[name.toLowerCase()];
  if (whole) return { word: name, precisions: whole };
  for (const word of name.toLowerCase().split(/[-_./]/)) {
    const precisions = PROMISES[word];
    if (precisions) return { word, precisions };
  }
  return undefined;
}

/** Most precise first: the order variants are listed and the first is the fidelity reference. */
export const PRECISION_RANK: Record<Precision, number> = { fp32: 0, bf16: 1, fp16: 2, mixed: 3, int8: 4, uint8: 5, q4f16: 6, int4: 7 };
