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

/**
 * H made safely invertible as the GPTQ paper does: an input that never fired (zero diagonal) gets 1, and every
 * diagonal entry gets `dampening` times the mean diagonal.
 */
function dampenedHessian(hessian: Float64Array, k: number, dampening: number): Float64Array {
  const h = Float64Array.from(hessian);
  let mean = 0;
  for (let i = 0; i < k; i++) mean += h[i * k + i]!;
  mean /= k;
  for (let i = 0; i < k; i++) h[i * k + i] = (h[i * k + i] === 0 ? 1 : h[i * k + i]!) + dampening * (mean || 1);
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
  const h = dampenedHessian(hessian, k, dampening);
  const w = Float64Array.from(weight);
  // An input that never fired carries no information: its weights do not matter, fix them at 0.
  for (let i = 0; i < k; i++) if (hessian[i * k + i] === 0) for (let c = 0; c < n; c++) w[i * n + c] = 0;
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

/**
 * Given a layer's int4 codes, the block scales that minimise its loss ||X (W - Q)||^2 = (w - Q)^T H (w - Q) per
 * output column, over the original weights: with u_b the column's codes (minus zero point) on block b and zeros
 * elsewhere, Q = sum_b s_b u_b, and the scales solve the normal equations M s = r, M_bc = u_b^T H u_c,
 * r_b = u_b^T H w. The current scales are one feasible choice, so the loss never rises. GPTQ fixes each scale before
 * the block's rows are compensated and rounded; refitting afterwards is the least-squares step of llama.cpp's
 * make_qx_quants (scale fitted to the chosen codes), with the layer's Hessian as the weighting.
 */
export function refitScales(q: Int4Blocks, weight: Float32Array, hessian: Float64Array): Int4Blocks {
  const { k, n, blockSize, blocksPerColumn: b } = q;
  const scales = Float32Array.from(q.scales);
  const zeroStride = Math.ceil(b / 2);
  const u = new Float64Array(k);
  const hu = new Float64Array(b * k);
  const m = new Float64Array(b * b);
  const r = new Float64Array(b);
  for (let col = 0; col < n; col++) {
    for (let block = 0; block < b; block++) {
      const zeroByte = q.zeroPoints ? q.zeroPoints[col * zeroStride + (block >> 1)]! : 0x88;
      const zeroPoint = block & 1 ? zeroByte >> 4 : zeroByte & 0x0f;
      const blob = (col * b + block) * (blockSize / 2);
      for (let i = 0; i < blockSize && block * blockSize + i < k; i++) {
        const byte = q.packed[blob + (i >> 1)]!;
        u[block * blockSize + i] = (i & 1 ? byte >> 4 : byte & 0x0f) - zeroPoint;
      }
    }
    // H u_b for every block b: u_b is nonzero on its own rows only.
    hu.fill(0);
    for (let block = 0; block < b; block++) {
      const start = block * blockSize;
      const end = Math.min(k, start + blockSize);
      const out = block * k;
      for (let j = start; j < end; j++) {
        const uj = u[j]!;
        if (uj === 0) continue;
        for (let i = 0; i < k; i++) hu[out + i] = hu[out + i]! + hessian[i * k + j]! * uj;
      }
    }
    for (let x = 0; x < b; x++) {
      let rx = 0;
      for (let i = 0; i < k; i++) rx += hu[x * k + i]! * weight[i * n + col]!;
      r[x] = rx;
      for (let y = 0; y < b; y++) {
        let sum = 0;
        const start = y * blockSize;
        const end = Math.min(k, start + blockSize);
        for (let i = start; i < end; i++) sum += hu[x * k + i]! * u[i]!;
        m[x * b + y] = sum;
      }
    }
    const solved = solveSymmetric(m, r, b);
    if (!solved) continue;
    for (let block = 0; block < b; block++) {
      // A block whose codes are all zero has no scale to fit; keep what it had.
      if (m[block * b + block]! > 0 && Number.isFinite(solved[block]!)) scales[col * b + block] = solved[block]!;
    }
  }
  return { ...q, scales };
}

/** Solves M x = r for a small symmetric positive semi-definite M (Gaussian elimination with partial pivoting). */
function solveSymmetric(m: Float64Array, r: Float64Array, size: number): Float64Array | undefined {
  const a = Float64Array.from(m);
  const x = Float64Array.from(r);
  for (let i = 0; i < size; i++) if (a[i * size + i] === 0) a[i * size + i] = 1; // an all-zero block: leave it be
  for (let c = 0; c < size; c++) {
    let pivot = c;
    for (let i = c + 1; i < size; i++) if (Math.abs(a[i * size + c]!) > Math.abs(a[pivot * size + c]!)) pivot = i;
    if (Math.abs(a[pivot * size + c]!) < 1e-300) return undefined;
    if (pivot !== c) {
      for (let j = 0; j < size; j++) [a[c * size + j], a[pivot * size + j]] = [a[pivot * size + j]!, a[c * size + j]!];
      [x[c], x[pivot]] = [x[pivot]!, x[c]!];
    }
    for (let i = c + 1; i < size; i++) {
      const f = a[i * size + c]! / a[c * size + c]!;
      if (f === 0) continue;
      for (let j = c; j < size; j++) a[i * size + j] = a[i * size + j]! - f * a[c * size + j]!;
      x[i] = x[i]! - f * x[c]!;
    }
  }
  for (let i = size - 1; i >= 0; i--) {
    let sum = x[i]!;
    for (let j = i + 1; j < size; j++) sum -= a[i * size + j]! * x[j]!;
    x[i] = sum / a[i * size + i]!;
  }
  return x;
}

/**
 * 2 X^T (Y - X) W / samples (gramMatrix's scaling): X and Y are the layer's input in the partially quantized and in
 * the float model (the same examples, row for row), so (Y - X) W is how far the float model's output is from what
 * the layer computes with W on the input it now gets.
 */
export function outputCorrection(xs: Float32Array[], ys: Float32Array[], weight: Float32Array, k: number, n: number): Float64Array {
  const d = new Float64Array(k * n);
  let count = 0;
  const delta = new Float64Array(k);
  const t = new Float64Array(n);
  for (let e = 0; e < xs.length; e++) {
    const x = xs[e]!;
    const y = ys[e]!;
    const rows = x.length / k;
    count += rows;
    for (let s = 0; s < rows; s++) {
      const off = s * k;
      for (let j = 0; j < k; j++) delta[j] = y[off + j]! - x[off + j]!;
      t.fill(0);
      for (let j = 0; j < k; j++) {
        const dj = delta[j]!;
        if (dj === 0) continue;
        const row = j * n;
        for (let c = 0; c < n; c++) t[c] = t[c]! + dj * weight[row + c]!;
      }
      for (let i = 0; i < k; i++) {
        const xi = x[off + i]!;
        if (xi === 0) continue;
        const row = i * n;
        for (let c = 0; c < n; c++) d[row + c] = d[row + c]! + xi * t[c]!;
      }
    }
  }
  for (let i = 0; i < d.length; i++) d[i] = (2 * d[i]!) / Math.max(1, count);
  return d;
}

/**
 * The weight W' with ||X W' - Y W||^2 minimised: W' = W + H^-1 C, H = 2 X^T X (dampened as GPTQ dampens it),
 * C = outputCorrection(X, Y, W). Quantizing W' against H then matches the float model's output, not only the layer's
 * own on its already perturbed input (GPTAQ: Li, Yin, Lee, Xiao, Panda 2025, "GPTAQ: Efficient Finetuning-Free
 * Quantization for Asymmetric Calibration", arXiv 2504.02692).
 */
export function asymmetricTarget(weight: Float32Array, k: number, n: number, hessian: Float64Array, correction: Float64Array, dampening = 0.01): Float32Array {
  const l = cholesky(dampenedHessian(hessian, k, dampening), k);
  const out = Float32Array.from(weight);
  const rhs = new Float64Array(k);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < k; i++) rhs[i] = correction[i * n + c]!;
    // Solve L L^T y = rhs.
    for (let i = 0; i < k; i++) {
      let sum = rhs[i]!;
      for (let p = 0; p < i; p++) sum -= l[i * k + p]! * rhs[p]!;
      rhs[i] = sum / l[i * k + i]!;
    }
    for (let i = k - 1; i >= 0; i--) {
      let sum = rhs[i]!;
      for (let p = i + 1; p < k; p++) sum -= l[p * k + i]! * rhs[p]!;
      rhs[i] = sum / l[i * k + i]!;
    }
    for (let i = 0; i < k; i++) out[i * n + c] = weight[i * n + c]! + rhs[i]!;
  }
  return out;
}
