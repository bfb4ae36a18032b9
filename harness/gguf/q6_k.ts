import { readHalf, writeHalf, type BlockCodec } from './block-codec.ts';
import { nearestInt } from './nearest-int.ts';

const QK_K = 256;
const BYTES = 210; // block_q6_K: uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d
const GROUP_MAX_EPS = 1e-15;

/**
 * Q6_K (ggml-quants.c quantize_row_q6_K_ref / dequantize_row_q6_K): super-blocks
 * of 256 values in 16 sub-blocks of 16, each with an int8 scale times the fp16
 * d; values are 6-bit signed, x ≈ d·sc·(q − 32), their low 4 bits in ql and
 * high 2 bits in qh. Sub-block scales come from make_qx_quants (rmse_type 1).
 */
export const q6_k: BlockCodec = {
  quantize(values) {
    const blocks = values.length / QK_K;
    const out = new Uint8Array(blocks * BYTES);
    const view = new DataView(out.buffer);
    const levels = new Uint8Array(QK_K);
    const scales = new Float32Array(16);
    for (let b = 0; b < blocks; b++) {
      const x = values.subarray(b * QK_K, (b + 1) * QK_K);
      const at = b * BYTES;
      let maxScale = 0;
      let maxAbsScale = 0;
      for (let ib = 0; ib < 16; ib++) {
        const scale = makeQxQuants(32, x.subarray(16 * ib, 16 * ib + 16), levels.subarray(16 * ib, 16 * ib + 16));
        scales[ib] = scale;
        if (Math.abs(scale) > maxAbsScale) {
          maxAbsScale = Math.abs(scale);
          maxScale = scale;
        }
      }
      if (maxAbsScale < GROUP_MAX_EPS) continue; // all zero: the block stays zero bytes
      const iscale = -128 / maxScale;
      writeHalf(view, at + 208, 1 / iscale);
      for (let ib = 0; ib < 16; ib++) view.setInt8(at + 192 + ib, Math.min(127, nearestInt(iscale * scales[ib]!)));
      const d = readHalf(view, at + 208);
      for (let j = 0; j < 16; j++) {
        const dj = d * view.getInt8(at + 192 + j);
        if (!dj) continue;
        for (let i = 0; i < 16; i++) levels[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(x[16 * j + i]! / dj))) + 32;
      }
      for (let j = 0; j < QK_K; j += 128) {
        const ql = at + j / 2;
        const qh = at + 128 + j / 4;
        for (let l = 0; l < 32; l++) {
          const [q1, q2, q3, q4] = [levels[j + l]!, levels[j + l + 32]!, levels[j + l + 64]!, levels[j + l + 96]!];
          out[ql + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
          out[ql + l + 32] = (q2 & 0xf) | ((q4 & 0xf) << 4);
          out[qh + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
        }
      }
    }
    return out;
  },
  dequantize(bytes, elements) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(elements);
    for (let b = 0; b < elements / QK_K; b++) {
      const at = b * BYTES;
      const d = readHalf(view, at + 208);
      for (let n = 0; n < QK_K; n += 128) {
        const ql = at + n / 2;
        const qh = at + 128 + n / 4;
        const sc = at + 192 + n / 16;
        for (let l = 0; l < 32; l++) {
          const is = Math.floor(l / 16);
          const h = bytes[qh + l]!;
          const q1 = ((bytes[ql + l]! & 0xf) | ((h & 3) << 4)) - 32;
          const q2 = ((bytes[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
          const q3 = ((bytes[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
          const q4 = ((bytes[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
          const y = b * QK_K + n;
          out[y + l] = d * view.getInt8(sc + is) * q1;
          out[y + l + 32] = d * view.getInt8(sc + is + 2) * q2;
          out[y + l + 64] = d * view.getInt8(sc + is + 4) * q3;
          out[y + l + 96] = d * view.getInt8(sc + is + 6) * q4;
        }
      }
    }
    return out;
  },
};

/**
 * make_qx_quants with rmse_type 1 (weights x²): symmetric levels in
 * [−nmax, nmax − 1] (stored + nmax) and the scale that best fits them, over 19
 * trial scales around −nmax / max.
 */
function makeQxQuants(nmax: number, x: Float32Array, levels: Uint8Array): number {
  let max = 0;
  let amax = 0;
  for (const v of x) {
    if (Math.abs(v) > amax) {
      amax = Math.abs(v);
      max = v;
    }
  }
  if (amax < GROUP_MAX_EPS) {
    levels.fill(0);
    return 0;
  }
  const fit = (iscale: number) => {
    let sumLX = 0;
    let sumL2 = 0;
    for (const v of x) {
      const l = Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * v)));
      const w = v * v;
      sumLX += w * v * l;
      sumL2 += w * l * l;
    }
    return { sumLX, sumL2 };
  };
  const setLevels = (iscale: number) => {
    for (let i = 0; i < x.length; i++) levels[i] = nmax + Math.max(-nmax, Math.min(nmax - 1, nearestInt(iscale * x[i]!)));
  };
  let iscale = -nmax / max;
  const first = fit(iscale);
  setLevels(iscale);
  let scale = first.sumL2 ? first.sumLX / first.sumL2 : 0;
  let best = scale * first.sumLX;
  for (let step = -9; step <= 9; step++) {
    if (step === 0) continue;
    iscale = -(nmax + 0.1 * step) / max;
    const { sumLX, sumL2 } = fit(iscale);
    if (sumL2 > 0 && sumLX * sumLX > best * sumL2) {
      setLevels(iscale);
      scale = sumLX / sumL2;
      best = scale * sumLX;
    }
  }
  return scale;
}
