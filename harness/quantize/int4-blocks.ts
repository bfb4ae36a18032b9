/**
 * Block-wise 4-bit weights in the layout of onnxruntime's com.microsoft
 * MatMulNBits: the [K, N] weight is taken column by column (one column per
 * output feature), cut along K into blocks of `blockSize`, and each block gets
 * its own scale and zero point: w = (q - zeroPoint) * scale, q in [0, 15].
 * B is uint8 [N, blocks, blockSize / 2], two codes per byte, low nibble first;
 * scales are [N * blocks]; zero points are packed the same way,
 * [N * ceil(blocks / 2)]. Without zero points the runtime assumes 8 (symmetric).
 */
export interface Int4Blocks {
  k: number;
  n: number;
  blockSize: number;
  blocksPerColumn: number;
  packed: Uint8Array;
  scales: Float32Array;
  /** Absent for symmetric quantization (implicit zero point 8). */
  zeroPoints?: Uint8Array;
}

/**
 * `kept`, if given, is the share of each block's range the grid spans ([N * blocks], column-major as the scales):
 * below 1 the block's extremes are clipped to a finer grid (AWQ's clipping search); absent, the whole range.
 */
export function quantizeInt4Blocks(weight: Float32Array, k: number, n: number, blockSize: number, symmetric: boolean, kept?: Float32Array): Int4Blocks {
  const blocksPerColumn = Math.ceil(k / blockSize);
  const packed = new Uint8Array(n * blocksPerColumn * (blockSize / 2));
  const scales = new Float32Array(n * blocksPerColumn);
  const zeroPoints = symmetric ? undefined : new Uint8Array(n * Math.ceil(blocksPerColumn / 2));
  const codes = new Uint8Array(blockSize);
  for (let col = 0; col < n; col++) {
    for (let block = 0; block < blocksPerColumn; block++) {
      const start = block * blockSize;
      const end = Math.min(k, start + blockSize);
      let min = 0;
      let max = 0;
      for (let row = start; row < end; row++) {
        const w = weight[row * n + col]!;
        if (w < min) min = w;
        if (w > max) max = w;
      }
      if (kept) {
        const share = kept[col * blocksPerColumn + block]!;
        min *= share;
        max *= share;
      }
      let scale: number;
      let zeroPoint: number;
      if (symmetric) {
        // The larger magnitude maps to -8 (the code with no positive twin), as onnxruntime's quantizer does.
        const extreme = Math.abs(min) > Math.abs(max) ? min : max;
        scale = extreme / -8;
        zeroPoint = 8;
      } else {
        scale = (max - min) / 15;
        zeroPoint = scale > 0 ? Math.max(0, Math.min(15, Math.round(-min / scale))) : 8;
      }
      const inverse = scale !== 0 ? 1 / scale : 0;
      codes.fill(zeroPoint); // padding past K dequantizes to 0
      for (let row = start; row < end; row++) codes[row - start] = Math.max(0, Math.min(15, Math.round(weight[row * n + col]! * inverse) + zeroPoint));
      const blob = (col * blocksPerColumn + block) * (blockSize / 2);
      for (let i = 0; i < blockSize; i += 2) packed[blob + i / 2] = codes[i]! | (codes[i + 1]! << 4);
      scales[col * blocksPerColumn + block] = scale;
      if (zeroPoints) {
        const index = col * Math.ceil(blocksPerColumn / 2) + (block >> 1);
        zeroPoints[index] = block & 1 ? zeroPoints[index]! | (zeroPoint << 4) : zeroPoint;
      }
    }
  }
  return { k, n, blockSize, blocksPerColumn, packed, scales, ...(zeroPoints ? { zeroPoints } : {}) };
}

/** The float [K, N] weight a MatMulNBits node computes with: the reference for tests and fidelity checks. */
export function dequantizeInt4Blocks(q: Int4Blocks): Float32Array {
  const out = new Float32Array(q.k * q.n);
  const zeroStride = Math.ceil(q.blocksPerColumn / 2);
  for (let col = 0; col < q.n; col++) {
    for (let block = 0; block < q.blocksPerColumn; block++) {
      const scale = q.scales[col * q.blocksPerColumn + block]!;
      const zeroByte = q.zeroPoints ? q.zeroPoints[col * zeroStride + (block >> 1)]! : 0x88;
      const zeroPoint = block & 1 ? zeroByte >> 4 : zeroByte & 0x0f;
      const blob = (col * q.blocksPerColumn + block) * (q.blockSize / 2);
      for (let i = 0; i < q.blockSize; i++) {
        const row = block * q.blockSize + i;
        if (row >= q.k) break;
        const byte = q.packed[blob + (i >> 1)]!;
        const code = i & 1 ? byte >> 4 : byte & 0x0f;
        out[row * q.n + col] = (code - zeroPoint) * scale;
      }
    }
  }
  return out;
}

/**
 * Shares of a block's range tried by the error-minimising scale search: 1, 0.99, ..., 0.80. The grid of the GPTQ
 * reference implementation's `Quantizer.find_params(mse=True)` (Frantar et al. 2022, github.com/IST-DASLab/gptq,
 * quant.py: grid 100, maxshrink 0.2 of it searched here as 0.8-1.0), which llama.cpp's k-quants also search over
 * (make_qx_quants: scales near the max, weighted by importance).
 */
export const SCALE_SEARCH_SHARES: readonly number[] = Array.from({ length: 21 }, (_, i) => 1 - i * 0.01);

/**
 * The symmetric int4 scale of one block of `values` that minimises sum_j importance_j (v_j - dequant(quant(v_j)))^2
 * over SCALE_SEARCH_SHARES of its largest magnitude (mapped to -8). Without importance, every element counts the same.
 * A plain max scale spends a code on the one outlier of a block; a slightly smaller one rounds the rest finer.
 */
export function searchedSymmetricScale(values: ArrayLike<number>, importance?: ArrayLike<number>): number {
  let extreme = 0;
  for (let j = 0; j < values.length; j++) if (Math.abs(values[j]!) > Math.abs(extreme)) extreme = values[j]!;
  if (extreme === 0) return 0;
  let best = Math.fround(extreme / -8);
  let bestError = Infinity;
  for (const share of SCALE_SEARCH_SHARES) {
    const scale = Math.fround((extreme * share) / -8);
    const inverse = 1 / scale;
    let error = 0;
    for (let j = 0; j < values.length; j++) {
      const code = Math.max(-8, Math.min(7, Math.round(values[j]! * inverse)));
      const e = values[j]! - code * scale;
      error += (importance ? importance[j]! : 1) * e * e;
    }
    if (error < bestError) {
      bestError = error;
      best = scale;
    }
  }
  return best;
}

/**
 * The asymmetric int4 grid (scale, zero point in [0, 15]) of one block of `values` that minimises
 * sum_j importance_j (v_j - dequant(quant(v_j)))^2 over SCALE_SEARCH_SHARES of its [min, max] range, shrunk about
 * the range's centre as the GPTQ reference's `find_params(mse=True)` shrinks xmin and xmax together.
 */
export function searchedAsymmetricGrid(values: ArrayLike<number>, importance?: ArrayLike<number>): { scale: number; zeroPoint: number } {
  let min = 0;
  let max = 0;
  for (let j = 0; j < values.length; j++) {
    if (values[j]! < min) min = values[j]!;
    if (values[j]! > max) max = values[j]!;
  }
  if (max === min) return { scale: 0, zeroPoint: 8 };
  let best = { scale: Math.fround((max - min) / 15), zeroPoint: 8 };
  let bestError = Infinity;
  for (const share of SCALE_SEARCH_SHARES) {
    const scale = Math.fround(((max - min) * share) / 15);
    const zeroPoint = Math.max(0, Math.min(15, Math.round((-min * share) / scale)));
    const inverse = 1 / scale;
    let error = 0;
    for (let j = 0; j < values.length; j++) {
      const code = Math.max(0, Math.min(15, Math.round(values[j]! * inverse) + zeroPoint));
      const e = values[j]! - (code - zeroPoint) * scale;
      error += (importance ? importance[j]! : 1) * e * e;
    }
    if (error < bestError) {
      bestError = error;
      best = { scale, zeroPoint };
    }
  }
  return best;
}

/** MatMulNBits's zero points, two blocks per byte, low nibble first, each column's row padded to whole bytes. */
export function packZeroPoints(zeroPoints: ArrayLike<number>, n: number, blocksPerColumn: number): Uint8Array {
  const stride = Math.ceil(blocksPerColumn / 2);
  const packed = new Uint8Array(n * stride);
  for (let col = 0; col < n; col++)
    for (let block = 0; block < blocksPerColumn; block++) {
      const z = zeroPoints[col * blocksPerColumn + block]!;
      const index = col * stride + (block >> 1);
      packed[index] = block & 1 ? packed[index]! | (z << 4) : z;
    }
  return packed;
}

/** Per block of a [K, N] weight, the share of its range searchedSymmetricScale keeps: the `kept` of quantizeInt4Blocks. */
export function searchedKeptShares(weight: Float32Array, k: number, n: number, blockSize: number): Float32Array {
  const blocksPerColumn = Math.ceil(k / blockSize);
  const kept = new Float32Array(n * blocksPerColumn).fill(1);
  const values = new Float64Array(blockSize);
  for (let col = 0; col < n; col++)
    for (let block = 0; block < blocksPerColumn; block++) {
      const start = block * blockSize;
      const end = Math.min(k, start + blockSize);
      let extreme = 0;
      for (let row = start; row < end; row++) {
        values[row - start] = weight[row * n + col]!;
        if (Math.abs(weight[row * n + col]!) > Math.abs(extreme)) extreme = weight[row * n + col]!;
      }
      if (extreme !== 0) kept[col * blocksPerColumn + block] = searchedSymmetricScale(values.subarray(0, end - start)) / (extreme / -8);
    }
  return kept;
}
