import { readHalf, writeHalf, type BlockCodec } from './block-codec.ts';
import { roundAwayFromZero } from './nearest-int.ts';

const QK = 32;
const BYTES = 34; // block_q8_0: ggml_half d; int8_t qs[32]

/**
 * Q8_0 (ggml-quants.c quantize_row_q8_0_ref / dequantize_row_q8_0): blocks of
 * 32 values, one fp16 scale d = max|x| / 127 and 32 int8 q = round(x / d); x ≈ d·q.
 */
export const q8_0: BlockCodec = {
  quantize(values) {
    const blocks = values.length / QK;
    const out = new Uint8Array(blocks * BYTES);
    const view = new DataView(out.buffer);
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      for (let j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(values[b * QK + j]!));
      const d = amax / 127;
      const id = d ? 1 / d : 0;
      writeHalf(view, b * BYTES, d);
      for (let j = 0; j < QK; j++) view.setInt8(b * BYTES + 2 + j, roundAwayFromZero(values[b * QK + j]! * id));
    }
    return out;
  },
  dequantize(bytes, elements) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(elements);
    for (let b = 0; b < elements / QK; b++) {
      const d = readHalf(view, b * BYTES);
      for (let j = 0; j < QK; j++) out[b * QK + j] = d * view.getInt8(b * BYTES + 2 + j);
    }
    return out;
  },
};
