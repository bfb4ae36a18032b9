import { describe, expect, it } from 'vitest';
import { codecs } from '../../harness/gguf/codecs.ts';
import { ggmlTypes, typeBytes } from '../../harness/gguf/ggml-types.ts';
import { fromHalfBits } from '../../harness/runtimes/tensor.ts';

/** Deterministic gaussian-ish weights with a few outliers, like a trained layer's. */
function weights(count: number, seed: number): Float32Array {
  let state = seed;
  const next = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  return Float32Array.from({ length: count }, (_, i) => {
    const gaussian = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
    return (i % 97 === 0 ? 6 : 1) * 0.02 * gaussian;
  });
}

const half = (bytes: Uint8Array, offset: number) => fromHalfBits(bytes[offset]! | (bytes[offset + 1]! << 8));

function rmsError(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum / a.length);
}

describe('ggml block quantizers (ggml-quants.c definitions)', () => {
  it('write blocks of the sizes ggml-common.h declares', () => {
    const values = weights(512, 1);
    for (const type of ['Q8_0', 'Q4_0', 'Q5_0', 'Q4_K', 'Q6_K', 'F16', 'F32'] as const) {
      expect(codecs[type].quantize(values).length, type).toBe(typeBytes(type, 512));
    }
    expect([ggmlTypes.Q8_0.blockBytes, ggmlTypes.Q4_0.blockBytes, ggmlTypes.Q4_K.blockBytes, ggmlTypes.Q6_K.blockBytes]).toEqual([34, 18, 144, 210]);
  });

  it('Q8_0: every value within half a step of its block scale d = max|x| / 127 (plus the fp16 rounding of d)', () => {
    const values = weights(32 * 64, 2);
    const bytes = codecs.Q8_0.quantize(values);
    const back = codecs.Q8_0.dequantize(bytes, values.length);
    for (let b = 0; b < 64; b++) {
      const d = half(bytes, b * 34);
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[b * 32 + j]!));
      expect(Math.abs(d - amax / 127)).toBeLessThanOrEqual((amax / 127) * 2 ** -11); // d as fp16
      // |x - q·d16| ≤ d/2 + 127·|d - d16|, and fp16 keeps d within 2^-11 of itself.
      const bound = d / 2 + 127 * d * 2 ** -11 + 1e-9;
      for (let j = 0; j < 32; j++) expect(Math.abs(back[b * 32 + j]! - values[b * 32 + j]!)).toBeLessThanOrEqual(bound);
    }
  });

  it('Q8_0: values already on the grid of an fp16 scale come back exactly', () => {
    const d = fromHalfBits(0x2000); // 2^-7, exact in fp16
    const values = Float32Array.from({ length: 32 }, (_, j) => (j - 16) * 4 * d);
    values[0] = 127 * d;
    expect(Array.from(codecs.Q8_0.dequantize(codecs.Q8_0.quantize(values), 32))).toEqual(Array.from(values));
  });

  it('Q4_0: d = max / -8 from the value of largest magnitude; q = min(15, trunc(x/d + 8.5)); errors within d/2 except the clamped +8 end', () => {
    const values = weights(32 * 64, 3);
    const bytes = codecs.Q4_0.quantize(values);
    const back = codecs.Q4_0.dequantize(bytes, values.length);
    for (let b = 0; b < 64; b++) {
      const block = values.subarray(b * 32, b * 32 + 32);
      const max = block.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
      const d = half(bytes, b * 18);
      expect(Math.abs(d - max / -8)).toBeLessThanOrEqual(Math.abs(max / 8) * 2 ** -11); // d as fp16
      for (let j = 0; j < 32; j++) {
        const q = Math.min(15, Math.trunc(block[j]! / (max / -8) + 8.5));
        expect(back[b * 32 + j]).toBeCloseTo((q - 8) * d, 9);
        expect(Math.abs(back[b * 32 + j]! - block[j]!)).toBeLessThanOrEqual(Math.abs(d) * (q === 15 ? 1.07 : 0.5 + 8 * 2 ** -11) + 1e-9);
      }
    }
  });

  it('Q5_0: the fifth bit of each value lands in qh, so 32 levels come back', () => {
    const values = Float32Array.from({ length: 32 }, (_, j) => j - 16);
    const back = codecs.Q5_0.dequantize(codecs.Q5_0.quantize(values), 32);
    expect(Array.from(back)).toEqual(Array.from(values));
  });

  it('Q4_K: dequantize follows get_scale_min_k4 and the 64-value nibble order of dequantize_row_q4_K', () => {
    // A hand-built block: d = 1, dmin = 0.5, sub-block j has scale j + 1 and min j; level l of value i is i mod 16.
    const block = new Uint8Array(144);
    block.set([0x00, 0x3c, 0x00, 0x38], 0); // fp16 1.0 and 0.5, little-endian
    const scales = [1, 2, 3, 4, 5, 6, 7, 8];
    const mins = [0, 1, 2, 3, 4, 5, 6, 7];
    for (let j = 0; j < 4; j++) {
      block[4 + j] = scales[j]!;
      block[4 + j + 4] = mins[j]!;
    }
    for (let j = 4; j < 8; j++) block[4 + j + 4] = (scales[j]! & 0xf) | ((mins[j]! & 0xf) << 4); // all < 16: no high bits
    const level = (i: number) => i % 16;
    for (let chunk = 0; chunk < 4; chunk++) {
      for (let l = 0; l < 32; l++) block[16 + chunk * 32 + l] = level(chunk * 64 + l) | (level(chunk * 64 + 32 + l) << 4);
    }
    const back = codecs.Q4_K.dequantize(block, 256);
    for (let i = 0; i < 256; i++) {
      const j = Math.floor(i / 32);
      expect(back[i]).toBe(scales[j]! * level(i) - 0.5 * mins[j]!);
    }
  });

  it('Q4_K and Q6_K: quantize then dequantize stays within the errors their bit widths allow, Q6_K well under Q4_K', () => {
    const values = weights(256 * 32, 4);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    const q4 = rmsError(values, codecs.Q4_K.dequantize(codecs.Q4_K.quantize(values), values.length)) / std;
    const q6 = rmsError(values, codecs.Q6_K.dequantize(codecs.Q6_K.quantize(values), values.length)) / std;
    const q8 = rmsError(values, codecs.Q8_0.dequantize(codecs.Q8_0.quantize(values), values.length)) / std;
    expect(q4).toBeLessThan(0.12);
    expect(q6).toBeLessThan(0.03);
    expect(q6).toBeLessThan(q4 / 3);
    expect(q8).toBeLessThan(q6);
  });

  it('an all-zero block stays zero in every type', () => {
    const zeros = new Float32Array(256);
    for (const type of ['Q8_0', 'Q4_0', 'Q5_0', 'Q4_K', 'Q6_K'] as const)
      expect(Array.from(codecs[type].dequantize(codecs[type].quantize(zeros), 256)).every((v) => v === 0)).toBe(true);
  });
});
