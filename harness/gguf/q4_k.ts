import { readHalf, writeHalf, type BlockCodec } from './block-codec.ts';
import { nearestInt } from './nearest-int.ts';

const QK_K = 256;
const BYTES = 144; // block_q4_K: ggml_half d; ggml_half dmin; uint8_t scales[12]; uint8_t qs[128]

/**
 * Q4_K (ggml-quants.c quantize_row_q4_K_ref / dequantize_row_q4_K): super-blocks
 * of 256 values in 8 sub-blocks of 32. Each sub-block has a 6-bit scale and a
 * 6-bit min, themselves scaled by the fp16 d and dmin; values are 4-bit,
 * x ≈ d·sc·q − dmin·m. Scales and mins are chosen per sub-block by
 * make_qkx2_quants (weighted least squares over 20 trial scales).
 */
export const q4_k: BlockCodec = {
  quantize(values) {
    const blocks = values.length / QK_K;
    const out = new Uint8Array(blocks * BYTES);
    const view = new DataView(out.buffer);
    const levels = new Uint8Array(QK_K);
    const weights = new Float32Array(32);
    const scales = new Float32Array(8);
    const mins = new Float32Array(8);
    for (let b = 0; b < blocks; b++) {
      const x = values.subarray(b * QK_K, (b + 1) * QK_K);
      const at = b * BYTES;
      let maxScale = 0;
      let maxMin = 0;
      for (let j = 0; j < 8; j++) {
        const sub = x.subarray(32 * j, 32 * j + 32);
        let sumX2 = 0;
        for (const v of sub) sumX2 += v * v;
        const avX = Math.sqrt(sumX2 / 32);
        for (let l = 0; l < 32; l++) weights[l] = avX + Math.abs(sub[l]!);
        const fit = makeQkx2Quants(15, sub, weights, levels.subarray(32 * j, 32 * j + 32), -1, 0.1, 20);
        scales[j] = fit.scale;
        mins[j] = fit.min;
        maxScale = Math.max(maxScale, fit.scale);
        maxMin = Math.max(maxMin, fit.min);
      }
      const invScale = maxScale > 0 ? 63 / maxScale : 0;
      const invMin = maxMin > 0 ? 63 / maxMin : 0;
      const packed = out.subarray(at + 4, at + 16);
      for (let j = 0; j < 8; j++) {
        const ls = Math.min(63, nearestInt(invScale * scales[j]!));
        const lm = Math.min(63, nearestInt(invMin * mins[j]!));
        if (j < 4) {
          packed[j] = ls;
          packed[j + 4] = lm;
        } else {
          packed[j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
          packed[j - 4]! |= (ls >> 4) << 6;
          packed[j]! |= (lm >> 4) << 6;
        }
      }
      writeHalf(view, at, maxScale / 63);
      writeHalf(view, at + 2, maxMin / 63);
      const d = readHalf(view, at);
      const dmin = readHalf(view, at + 2);
      for (let j = 0; j < 8; j++) {
        const [sc, m] = scaleMin(packed, j);
        const dj = d * sc;
        if (!dj) continue;
        const dm = dmin * m;
        for (let i = 0; i < 32; i++) levels[32 * j + i] = Math.max(0, Math.min(15, nearestInt((x[32 * j + i]! + dm) / dj)));
      }
      // Each 32 bytes hold 64 values: the first 32 in the low nibbles, the next 32 in the high ones.
      for (let j = 0; j < QK_K; j += 64) {
        for (let l = 0; l < 32; l++) out[at + 16 + j / 2 + l] = levels[j + l]! | (levels[j + l + 32]! << 4);
      }
    }
    return out;
  },
  dequantize(bytes, elements) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float32Array(elements);
    for (let b = 0; b < elements / QK_K; b++) {
      const at = b * BYTES;
      const d = readHalf(view, at);
      const dmin = readHalf(view, at + 2);
      const packed = bytes.subarray(at + 4, at + 16);
      for (let j = 0; j < QK_K; j += 64) {
        const [sc1, m1] = scaleMin(packed, j / 32);
        const [sc2, m2] = scaleMin(packed, j / 32 + 1);
        for (let l = 0; l < 32; l++) {
          const q = bytes[at + 16 + j / 2 + l]!;
          out[b * QK_K + j + l] = d * sc1 * (q & 0xf) - dmin * m1;
          out[b * QK_K + j + 32 + l] = d * sc2 * (q >> 4) - dmin * m2;
        }
      }
    }
    return out;
  },
};

/** get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes. */
function scaleMin(packed: Uint8Array, j: number): [number, number] {
  if (j < 4) return [packed[j]! & 63, packed[j + 4]! & 63];
  return [(packed[j + 4]! & 0xf) | ((packed[j - 4]! >> 6) << 4), (packed[j + 4]! >> 4) | ((packed[j]! >> 6) << 4)];
}

/**
 * make_qkx2_quants: levels in [0, nmax] and an affine fit x ≈ scale·l − min
 * (min ≥ 0) minimising the weighted squared error, trying nstep + 1 scales
 * around nmax / (max − min).
 */
function makeQkx2Quants(
  nmax: number,
  x: Float32Array,
  weights: Float32Array,
  levels: Uint8Array,
  rmin: number,
  rdelta: number,
  nstep: number,
): { scale: number; min: number } {
  const n = x.length;
  let min = x[0]!;
  let max = x[0]!;
  let sumW = 0;
  let sumX = 0;
  for (let i = 0; i < n; i++) {
    min = Math.min(min, x[i]!);
    max = Math.max(max, x[i]!);
    sumW += weights[i]!;
    sumX += weights[i]! * x[i]!;
  }
  if (min > 0) min = 0;
  if (max === min) {
    levels.fill(0);
    return { scale: 0, min: -min };
  }
  let iscale = nmax / (max - min);
  let scale = 1 / iscale;
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[i]! - min))));
    levels[i] = l;
    const diff = scale * l + min - x[i]!;
    bestError += weights[i]! * diff * diff;
  }
  const trial = new Uint8Array(n);
  for (let step = 0; step <= nstep; step++) {
    iscale = (rmin + rdelta * step + nmax) / (max - min);
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l = Math.max(0, Math.min(nmax, nearestInt(iscale * (x[i]! - min))));
      trial[i] = l;
      const w = weights[i]!;
      sumL += w * l;
      sumL2 += w * l * l;
      sumXL += w * l * x[i]!;
    }
    const det = sumW * sumL2 - sumL * sumL;
    if (det <= 0) continue;
    let thisScale = (sumW * sumXL - sumX * sumL) / det;
    let thisMin = (sumL2 * sumX - sumL * sumXL) / det;
    if (thisMin > 0) {
      thisMin = 0;
      thisScale = sumXL / sumL2;
    }
    let error = 0;
    for (let i = 0; i < n; i++) {
      const diff = thisScale * trial[i]! + thisMin - x[i]!;
      error += weights[i]! * diff * diff;
    }
    if (error < bestError) {
      levels.set(trial);
      bestError = error;
      scale = thisScale;
      min = thisMin;
    }
  }
  return { scale, min: -min };
}
