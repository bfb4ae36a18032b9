import { dequantizeInt4Blocks, quantizeInt4Blocks, type Int4Blocks } from './int4-blocks.ts';

/**
 * AWQ (Lin, Tang, Tang, Yang, Dang, Han 2023, "AWQ: Activation-aware Weight Quantization for LLM Compression and
 * Acceleration", arXiv 2306.00978), for MatMulNBits's int4 blocks.
 *
 * A few input channels carry much larger activations than the rest, and the rounding error of their weights costs
 * the most. Scaling input channel j of the [K, N] weight up by s_j before round-to-nearest (and the activation down
 * by s_j at run time) gives those weights finer steps: X W = (X diag(1/s)) (diag(s) W). The scales are
 * s_j = a_j^alpha with a_j = mean |x_j| over the calibration activations, normalised by sqrt(max s * min s) as the
 * reference implementation does, and alpha is searched on a grid for the lowest output error
 * ||X W - (X diag(1/s)) Q(diag(s) W)||^2 over all calibration rows (computed through X^T X). alpha = 0 is
 * round-to-nearest itself, so the chosen scales never do worse than rtn on the calibration set.
 */

/** alpha in {0, 0.05, ..., 1}, the reference implementation's grid of 20 steps. */
export const AWQ_ALPHA_GRID: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 20);

/** The reference clamps a_j^alpha from below, so a channel that never fired gets a small finite scale. */
const MIN_SCALE = 1e-4;

export interface AwqLayer {
  /** The weight diag(s) W in int4 blocks. */
  blocks: Int4Blocks;
  alpha: number;
  /** 1 / s_j: what the layer's input is multiplied by at run time; absent when alpha is 0 (plain rtn). */
  inputMultiplier?: Float32Array;
  /** Output error on the calibration rows (through the Gram matrix given) with the chosen alpha, and with rtn. */
  error: number;
  rtnError: number;
}

/** a_j = mean |x_j| over every calibration row of a K-wide input. */
export function activationMagnitudes(rows: Float32Array[], k: number): Float64Array {
  const sum = new Float64Array(k);
  let count = 0;
  for (const x of rows) {
    const samples = x.length / k;
    count += samples;
    for (let s = 0; s < samples; s++) for (let j = 0; j < k; j++) sum[j] = sum[j]! + Math.abs(x[s * k + j]!);
  }
  for (let j = 0; j < k; j++) sum[j] = sum[j]! / Math.max(1, count);
  return sum;
}

/** s_j = max(a_j^alpha, 1e-4) / sqrt(max s * min s). */
export function awqScales(magnitudes: Float64Array, alpha: number): Float64Array {
  const s = Float64Array.from(magnitudes, (a) => Math.max(MIN_SCALE, a ** alpha));
  let max = 0;
  let min = Infinity;
  for (const v of s) {
    max = Math.max(max, v);
    min = Math.min(min, v);
  }
  const norm = Math.sqrt(max * min);
  for (let j = 0; j < s.length; j++) s[j] = s[j]! / norm;
  return s;
}

/**
 * sum over columns of e^T G e for E = W - diag(1/s) dequant(Q): the squared output error on the rows G = c X^T X
 * was built from (up to the constant c), in K^2 N operations whatever the number of rows.
 */
function outputError(weight: Float32Array, effective: Float64Array, k: number, n: number, gram: Float64Array): number {
  const e = new Float64Array(k * n);
  for (let i = 0; i < e.length; i++) e[i] = weight[i]! - effective[i]!;
  const ge = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < k; i++) {
    ge.fill(0);
    const gRow = i * k;
    for (let j = 0; j < k; j++) {
      const g = gram[gRow + j]!;
      if (g === 0) continue;
      const eRow = j * n;
      for (let c = 0; c < n; c++) ge[c] = ge[c]! + g * e[eRow + c]!;
    }
    const eRow = i * n;
    for (let c = 0; c < n; c++) total += e[eRow + c]! * ge[c]!;
  }
  return total;
}

/** Shares of each block's range tried by the clipping search: 1, 0.95, ..., 0.55 (the reference's max_shrink 0.5 in 20 steps). */
export const AWQ_CLIP_GRID: readonly number[] = Array.from({ length: 10 }, (_, i) => 1 - i / 20);

/** The float [K, N] weight the layer computes with: diag(float32(1 / s)) dequant(blocks). */
function effectiveWeight(blocks: Int4Blocks, s: Float64Array): Float64Array {
  const { k, n } = blocks;
  const q = dequantizeInt4Blocks(blocks);
  const effective = new Float64Array(k * n);
  for (let j = 0; j < k; j++) {
    // What the runtime computes with: the input times float32(1 / s_j).
    const inverse = Math.fround(1 / s[j]!);
    for (let c = 0; c < n; c++) effective[j * n + c] = q[j * n + c]! * inverse;
  }
  return effective;
}

/**
 * AWQ's clipping search on the scaled weight: for each block of each column, the share of its range (AWQ_CLIP_GRID)
 * whose rounding gives the lowest error of that block's part of the output, e_b^T G_bb e_b (the reference measures
 * each group on its own too).
 */
function clipShares(
  weight: Float32Array,
  scaled: Float32Array,
  s: Float64Array,
  k: number,
  n: number,
  options: { blockSize: number; symmetric: boolean },
  gram: Float64Array,
  grid: readonly number[],
): Float32Array {
  const { blockSize } = options;
  const blocksPerColumn = Math.ceil(k / blockSize);
  const best = new Float64Array(n * blocksPerColumn).fill(Infinity);
  const kept = new Float32Array(n * blocksPerColumn).fill(1);
  const e = new Float64Array(blockSize);
  for (const share of grid) {
    const effective = effectiveWeight(quantizeInt4Blocks(scaled, k, n, blockSize, options.symmetric, new Float32Array(n * blocksPerColumn).fill(share)), s);
    for (let c = 0; c < n; c++)
      for (let b = 0; b < blocksPerColumn; b++) {
        const start = b * blockSize;
        const size = Math.min(k, start + blockSize) - start;
        for (let i = 0; i < size; i++) e[i] = weight[(start + i) * n + c]! - effective[(start + i) * n + c]!;
        let error = 0;
        for (let i = 0; i < size; i++) {
          let ge = 0;
          const row = (start + i) * k + start;
          for (let j = 0; j < size; j++) ge += gram[row + j]! * e[j]!;
          error += e[i]! * ge;
        }
        if (error < best[c * blocksPerColumn + b]!) {
          best[c * blocksPerColumn + b] = error;
          kept[c * blocksPerColumn + b] = share;
        }
      }
  }
  return kept;
}

/**
 * Searches alpha over `grid` for a [K, N] weight, given its input's per-channel magnitudes and Gram matrix
 * (gramMatrix in gptq.ts), then clips each block of the best diag(s) W (clipGrid; [1] turns clipping off), and
 * returns its int4 blocks. Clipping is kept only if it lowers the whole layer's output error.
 */
export function awqInt4Blocks(
  weight: Float32Array,
  k: number,
  n: number,
  options: { blockSize: number; symmetric: boolean },
  magnitudes: Float64Array,
  gram: Float64Array,
  grid: readonly number[] = AWQ_ALPHA_GRID,
  clipGrid: readonly number[] = AWQ_CLIP_GRID,
): AwqLayer {
  let best: { alpha: number; blocks: Int4Blocks; scales: Float64Array; scaled: Float32Array; error: number } | undefined;
  let rtnError = NaN;
  for (const alpha of grid) {
    const s = awqScales(magnitudes, alpha);
    const scaled = new Float32Array(k * n);
    for (let j = 0; j < k; j++) for (let c = 0; c < n; c++) scaled[j * n + c] = weight[j * n + c]! * s[j]!;
    const blocks = quantizeInt4Blocks(scaled, k, n, options.blockSize, options.symmetric);
    const error = outputError(weight, effectiveWeight(blocks, s), k, n, gram);
    if (alpha === 0) rtnError = error;
    if (!best || error < best.error) best = { alpha, blocks, scales: s, scaled, error };
  }
  if (!best) throw new Error('the AWQ alpha grid is empty');
  if (clipGrid.some((share) => share !== 1)) {
    const kept = clipShares(weight, best.scaled, best.scales, k, n, options, gram, clipGrid);
    const blocks = quantizeInt4Blocks(best.scaled, k, n, options.blockSize, options.symmetric, kept);
    const error = outputError(weight, effectiveWeight(blocks, best.scales), k, n, gram);
    if (error < best.error) best = { ...best, blocks, error };
  }
  return {
    blocks: best.blocks,
    alpha: best.alpha,
    ...(best.alpha === 0 ? {} : { inputMultiplier: Float32Array.from(best.scales, (s) => 1 / s) }),
    error: best.error,
    rtnError,
  };
}
