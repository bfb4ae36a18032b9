/**
 * Symmetric per-channel int8 weight quantization: one scale per output column
 * (scale = max |w| / 127, zero point 0), the scheme onnxruntime's own quantizer
 * uses for weights. Values stay in [-127, 127] so the int8 range is symmetric.
 */
export interface Int8Weights {
  /** [k, n] row-major, like the float weight it replaces. */
  values: Int8Array;
  /** One per column. */
  scales: Float32Array;
}

export function quantizeInt8PerColumn(weight: Float32Array, k: number, n: number): Int8Weights {
  const scales = new Float32Array(n);
  for (let row = 0; row < k; row++) {
    for (let col = 0; col < n; col++) scales[col] = Math.max(scales[col]!, Math.abs(weight[row * n + col]!));
  }
  for (let col = 0; col < n; col++) scales[col] = scales[col]! > 0 ? scales[col]! / 127 : 1;
  const values = new Int8Array(k * n);
  for (let row = 0; row < k; row++) {
    for (let col = 0; col < n; col++) {
      values[row * n + col] = Math.max(-127, Math.min(127, Math.round(weight[row * n + col]! / scales[col]!)));
    }
  }
  return { values, scales };
}

export function dequantizeInt8PerColumn({ values, scales }: Int8Weights, k: number, n: number): Float32Array {
  const out = new Float32Array(k * n);
  for (let row = 0; row < k; row++) for (let col = 0; col < n; col++) out[row * n + col] = values[row * n + col]! * scales[col]!;
  return out;
}

/** Asymmetric uint8 parameters for an activation range; the range is widened to include 0, as ONNX requires. */
export function uint8RangeParameters(min: number, max: number): { scale: number; zeroPoint: number } {
  const low = Math.min(0, min);
  const high = Math.max(0, max);
  const scale = high > low ? (high - low) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-low / scale))) };
}
