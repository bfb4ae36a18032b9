import { packZeroPoints, searchedAsymmetricGrid, searchedSymmetricScale, type Int4Blocks } from './int4-blocks.ts';

/**
 * GPTQ (Frantar, Ashkboos, Hoefler, Alistarh 2022, "GPTQ: Accurate Post-Training Quantization for Generative
 * Pre-trained Transformers", arXiv 2210.17323), for MatMulNBits's int4 blocks, symmetric or with a zero point per block.
 *
 * The layer's loss is ||X W - X Q||^2 over calibration activations X, whose Hessian is H = 2 X^T X. The weight's
 * input rows are quantized one at a time; each row's rounding error, scaled by the inverse Hessian, is pushed onto
 * the rows not yet quantized, so later rows absorb what earlier rounding lost (the paper's Algorithm 1, with the
 * Cholesky form of H^-1 and dampening). The scale of each K-block is taken when the block is reached, from the
 * already-compensated weights (the paper's grouping), as the one that minimises the block's rounding error weighted
 * by the Hessian's diagonal (searchedSymmetricScale; the reference implementation's mse option, with each input's
 * energy as its weight). Act order with the scales fixed up front (the reference's static groups, which
 * MatMulNBits's contiguous blocks would need) raised the trained demo decoder's mean KL from 4.61e-2 to 4.87e-2
 * (32 calibration windows), so rows go in their natural order.
 */
export function gramMatrix(rows: Float32Array[], k: number): Float64Array {
  const h = new Float64Array(k * k);
  let count = 0;
  for (const x of rows) {
    const n = x.length / k;
    count += n;
    for (let s = 0; s < n; s++) {
      const off = s * k;
      for (let i = 0; i < k; i++) {
        const xi = x[off + i]!;
        if (xi === 0) continue;
        const row = i * k;
        for (let j = i; j < k; j++) h[row + j] = h[row + j]! + xi * x[off + j]!;
      }
    }
  }
  for (let i = 0; i < k; i++)
    for (let j = i; j < k; j++) {
      const v = (2 * h[i * k + j]!) / Math.max(1, count);
      h[i * k + j] = v;
      h[j * k + i] = v;
    }
  return h;
}

/** Lower Cholesky factor of a symmetric positive definite matrix. */
function cholesky(a: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * k + j]!;
      for (let p = 0; p < j; p++) sum -= l[i * k + p]! * l[j * k + p]!;
      l[i * k + j] = i === j ? Math.sqrt(Math.max(sum, 1e-12)) : sum / l[j * k + j]!;
    }
  }
  return l;
}

/** Upper factor U with H^-1 = U^T U: invert H through its Cholesky factor, then factor the inverse. */
function inverseCholeskyUpper(h: Float64Array, k: number): Float64Array {
  const l = cholesky(h, k);
  // L^-1 by forward substitution, then H^-1 = L^-T L^-1.
  const li = new Float64Array(k * k);
  for (let c = 0; c < k; c++) {
    for (let i = c; i < k; i++) {
      let sum = i === c ? 1 : 0;
      for (let p = c; p < i; p++) sum -= l[i * k + p]! * li[p * k + c]!;
      li[i * k + c] = sum / l[i * k + i]!;
    }
  }
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++)
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let p = i; p < k; p++) sum += li[p * k + i]! * li[p * k + j]!;
      inv[i * k + j] = sum;
      inv[j * k + i] = sum;
    }
  // Upper R with H^-1 = R^T R (row i of R carries row i's update weights onto the later rows).
  const r = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    let diag = inv[i * k + i]!;
    for (let p = 0; p < i; p++) diag -= r[p * k + i]! * r[p * k + i]!;
    const d = Math.sqrt(Math.max(diag, 1e-12));
    r[i * k + i] = d;
    for (let j = i + 1; j < k; j++) {
      let sum = inv[i * k + j]!;
      for (let p = 0; p < i; p++) sum -= r[p * k + i]! * r[p * k + j]!;
      r[i * k + j] = sum / d;
    }
  }
  return r;
}

/**
 * Quantizes a [K, N] weight to int4 blocks of `blockSize` along K with GPTQ's error compensation.
 * `hessian` is 2 X^T X / samples for the layer's input; `dampening` (share of the mean diagonal added to it)
 * keeps it invertible, 0.01 as in the paper. `symmetric` false gives each block its own zero point (the paper's
 * asymmetric min-max grid), at half a byte per block.
 */
export function gptqInt4Blocks(
  weight: Float32Array,
  k: number,
  n: number,
  blockSize: number,
  hessian: Float64Array,
  dampening = 0.01,
  symmetric = true,
): Int4Blocks {
  const h = Float64Array.from(hessian);
  const w = Float64Array.from(weight);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i]!;
  mean /= k;
  for (let i = 0; i < k; i++) {
    // An input that never fired carries no information: its weights do not matter, fix them at 0.
    if (h[i * k + i] === 0) {
      h[i * k + i] = 1;
      for (let c = 0; c < n; c++) w[i * n + c] = 0;
    }
    h[i * k + i] = h[i * k + i]! + dampening * (mean || 1);
  }
  const r = inverseCholeskyUpper(h, k);
  const blocksPerColumn = Math.ceil(k / blockSize);
  const scales = new Float32Array(n * blocksPerColumn);
  const zeroPoints = new Uint8Array(n * blocksPerColumn).fill(8);
  const codes = new Uint8Array(n * blocksPerColumn * blockSize).fill(8);
  const errors = new Float64Array(n);
  for (let row = 0; row < k; row++) {
    const block = Math.floor(row / blockSize);
    if (row % blockSize === 0) {
      const end = Math.min(k, row + blockSize);
      const importance = Array.from({ length: end - row }, (_, j) => h[(row + j) * k + row + j]!);
      const values = new Float64Array(end - row);
      for (let c = 0; c < n; c++) {
        for (let j = row; j < end; j++) values[j - row] = w[j * n + c]!;
        if (symmetric) scales[c * blocksPerColumn + block] = searchedSymmetricScale(values, importance);
        else {
          const grid = searchedAsymmetricGrid(values, importance);
          scales[c * blocksPerColumn + block] = grid.scale;
          zeroPoints[c * blocksPerColumn + block] = grid.zeroPoint;
        }
      }
    }
    const d = r[row * k + row]!;
    for (let c = 0; c < n; c++) {
      const scale = scales[c * blocksPerColumn + block]!;
      const zeroPoint = zeroPoints[c * blocksPerColumn + block]!;
      const value = w[row * n + c]!;
      const code = scale === 0 ? zeroPoint : Math.max(0, Math.min(15, Math.round(value / scale) + zeroPoint));
      codes[(c * blocksPerColumn + block) * blockSize + (row % blockSize)] = code;
      errors[c] = (value - (code - zeroPoint) * scale) / d;
    }
    for (let j = row + 1; j < k; j++) {
      const f = r[row * k + j]!;
      if (f === 0) continue;
      const base = j * n;
      for (let c = 0; c < n; c++) w[base + c] = w[base + c]! - errors[c]! * f;
    }
  }
  const packed = new Uint8Array((codes.length / 2) | 0);
  for (let i = 0; i < packed.length; i++) packed[i] = codes[2 * i]! | (codes[2 * i + 1]! << 4);
  return { k, n, blockSize, blocksPerColumn, packed, scales, ...(symmetric ? {} : { zeroPoints: packZeroPoints(zeroPoints, n, blocksPerColumn) }) };
}
