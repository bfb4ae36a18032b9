import { fromHalfBits, toHalfBits } from '../runtimes/tensor.ts';

/** A ggml block format: values to blocks (ggml's *_ref quantizer) and back (its dequantize_row_*). */
export interface BlockCodec {
  /** values.length must be a multiple of the block size. */
  quantize(values: Float32Array): Uint8Array;
  dequantize(bytes: Uint8Array, elements: number): Float32Array;
}

/** ggml_half as stored: binary16, little-endian. */
export function writeHalf(view: DataView, offset: number, value: number): void {
  view.setUint16(offset, toHalfBits(value), true);
}

export function readHalf(view: DataView, offset: number): number {
  return fromHalfBits(view.getUint16(offset, true));
}

/** The value of largest magnitude, with its sign (the Q4_0/Q5_0 scale's reference). */
export function signedMaxAbs(values: Float32Array, start: number, count: number): number {
  let amax = 0;
  let max = 0;
  for (let i = start; i < start + count; i++) {
    const v = values[i]!;
    if (Math.abs(v) > amax) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}
