import { readHalf, signedMaxAbs, writeHalf, type BlockCodec } from './block-codec.ts';

const QK = 32;
const BYTES = 18; // block_q4_0: ggml_half d; uint8_t qs[16]

/**
 * Q4_0 (ggml-quants.c quantize_row_q4_0_ref / dequantize_row_q4_0): blocks of
 * 32 values, d = max / -8 where max is the value of largest magnitude, 4-bit
 * q = min(15, trunc(x / d + 8.5)); x ≈ d·(q − 8). Byte j holds value j in its
 * low nibble and value j + 16 in its high nibble.
 */
export const q4_0: BlockCodec = {
  quantize(values) {
    const blocks = values.length / QK;
    const out = new Uint8Array(blocks * BYTES);
    const view = new DataView(out.buffer);
    for (let b = 0; b < blocks; b++) {
      const base = b * QK;
      const d = signedMaxAbs(values, base, QK) / -8;
      const id = d ? 1 / d : 0;
      writeHalf(view, b * BYTES, d);
      for (let j = 0; j < QK / 2; j++) {
        const lo = Math.min(15, Math.trunc(values[base + j]! * id + 8.5));
        const hi = Math.min(15, Math.trunc(values[base + j + QK / 2]! * id + 8.5));
        out[b * BYTES + 2 + j] = lo | (hi << 4);
      }
    }
    return out;
  },
  dequantize(bytes, elements) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(elements);
    for (let b = 0; b < elements / QK; b++) {
      const d = readHalf(view, b * BYTES);
      for (let j = 0; j < QK / 2; j++) {
        const byte = bytes[b * BYTES + 2 + j]!;
        out[b * QK + j] = ((byte & 0xf) - 8) * d;
        out[b * QK + j + QK / 2] = ((byte >> 4) - 8) * d;
      }
    }
    return out;
  },
};
