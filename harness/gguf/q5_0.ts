import { readHalf, signedMaxAbs, writeHalf, type BlockCodec } from './block-codec.ts';

const QK = 32;
const BYTES = 22; // block_q5_0: ggml_half d; uint8_t qh[4]; uint8_t qs[16]

/**
 * Q5_0 (ggml-quants.c quantize_row_q5_0_ref / dequantize_row_q5_0): as Q4_0
 * with 5-bit q = min(31, trunc(x / d + 16.5)), d = max / -16, x ≈ d·(q − 16);
 * the fifth bits of the 32 values sit in the little-endian uint32 qh (value j
 * at bit j). llama.cpp's Q4_K_M falls back to it for rows not a multiple of 256.
 */
export const q5_0: BlockCodec = {
  quantize(values) {
    const blocks = values.length / QK;
    const out = new Uint8Array(blocks * BYTES);
    const view = new DataView(out.buffer);
    for (let b = 0; b < blocks; b++) {
      const base = b * QK;
      const d = signedMaxAbs(values, base, QK) / -16;
      const id = d ? 1 / d : 0;
      writeHalf(view, b * BYTES, d);
      let qh = 0;
      for (let j = 0; j < QK / 2; j++) {
        const lo = Math.min(31, Math.trunc(values[base + j]! * id + 16.5));
        const hi = Math.min(31, Math.trunc(values[base + j + QK / 2]! * id + 16.5));
        out[b * BYTES + 6 + j] = (lo & 0xf) | ((hi & 0xf) << 4);
        qh |= ((lo & 0x10) >> 4) << j;
        qh |= ((hi & 0x10) >> 4) << (j + QK / 2);
      }
      view.setUint32(b * BYTES + 2, qh >>> 0, true);
    }
    return out;
  },
  dequantize(bytes, elements) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(elements);
    for (let b = 0; b < elements / QK; b++) {
      const d = readHalf(view, b * BYTES);
      const qh = view.getUint32(b * BYTES + 2, true);
      for (let j = 0; j < QK / 2; j++) {
        const byte = bytes[b * BYTES + 6 + j]!;
        const lo = (byte & 0xf) | (((qh >>> j) & 1) << 4);
        const hi = (byte >> 4) | (((qh >>> (j + QK / 2)) & 1) << 4);
        out[b * QK + j] = (lo - 16) * d;
        out[b * QK + j + QK / 2] = (hi - 16) * d;
      }
    }
    return out;
  },
};
