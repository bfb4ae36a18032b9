/**
 * Block-wise 8-bit weights in the layout onnxruntime's com.microsoft MatMulNBits (bits 8) and
 * GatherBlockQuantized (bits 8) share: the [K, N] weight is taken column by column (one column per output
 * feature, one row of an embedding table), cut along K into blocks of `blockSize`, one scale per block.
 * Symmetric, with the implicit zero point 128 both operators assume: w = (q - 128) * scale,
 * scale = max |w| / 127, q in [1, 255]. Codes are uint8 [N, blocks, blockSize].
 */
export interface Int8Blocks {
  k: number;
  n: number;
  blockSize: number;
  blocksPerColumn: number;
  codes: Uint8Array;
  scales: Float32Array;
}

export function quantizeInt8Blocks(weight: Float32Array, k: number, n: number, blockSize: number): Int8Blocks {
  const blocksPerColumn = Math.ceil(k / blockSize);
  const codes = new Uint8Array(n * blocksPerColumn * blockSize).fill(128); // padding past K dequantizes to 0
  const scales = new Float32Array(n * blocksPerColumn);
  for (let col = 0; col < n; col++) {
    for (let block = 0; block < blocksPerColumn; block++) {
      const start = block * blockSize;
      const end = Math.min(k, start + blockSize);
      let extreme = 0;
      for (let row = start; row < end; row++) extreme = Math.max(extreme, Math.abs(weight[row * n + col]!));
      const scale = extreme / 127;
      const inverse = scale > 0 ? 1 / scale : 0;
      const base = (col * blocksPerColumn + block) * blockSize;
      for (let row = start; row < end; row++) codes[base + row - start] = Math.max(1, Math.min(255, Math.round(weight[row * n + col]! * inverse) + 128));
      scales[col * blocksPerColumn + block] = scale;
    }
  }
  return { k, n, blockSize, blocksPerColumn, codes, scales };
}

/** The float [K, N] weight the operators compute with: the reference for tests. */
export function dequantizeInt8Blocks(q: Int8Blocks): Float32Array {
  const out = new Float32Array(q.k * q.n);
  for (let col = 0; col < q.n; col++) {
    for (let row = 0; row < q.k; row++) {
      const block = Math.floor(row / q.blockSize);
      const code = q.codes[(col * q.blocksPerColumn + block) * q.blockSize + (row % q.blockSize)]!;
      out[row * q.n + col] = (code - 128) * q.scales[col * q.blocksPerColumn + block]!;
    }
  }
  return out;
}
