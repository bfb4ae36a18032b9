import type { FeedType, TensorSpec } from '../core/runner-protocol.ts';

/** Typed arrays a tensor's values live in (float16 as its binary16 bits, bool as 0/1 bytes). */
export type TensorData = Float32Array | Float64Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/**
 * A tensor as the tasks see it, whatever runtime holds it: an element type in
 * ONNX's lower-case names (float32, int64, bool, ...), a shape and row-major
 * values. A runtime's own tensors may stand in for it (onnxruntime's have these
 * three fields), so outputs pass back in as inputs without a copy.
 */
export interface Tensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

export type NamedTensors = Record<string, Tensor>;

export function tensor(type: FeedType, data: TensorData, dims: readonly number[]): Tensor {
  return { type, data, dims };
}

/** A tensor from its JSON form (runner jobs carry feeds as JSON); built before timing starts. */
export function tensorFromSpec(spec: TensorSpec): Tensor {
  const { dims, data } = spec;
  switch (spec.type) {
    case 'float32':
      return tensor('float32', Float32Array.from(data), dims);
    case 'float64':
      return tensor('float64', Float64Array.from(data), dims);
    case 'float16':
      return tensor('float16', Uint16Array.from(data, toHalfBits), dims);
    case 'int64':
      return tensor(
        'int64',
        BigInt64Array.from(data, (v) => BigInt(v)),
        dims,
      );
    case 'int32':
      return tensor('int32', Int32Array.from(data), dims);
    case 'int16':
      return tensor('int16', Int16Array.from(data), dims);
    case 'int8':
      return tensor('int8', Int8Array.from(data), dims);
    case 'uint16':
      return tensor('uint16', Uint16Array.from(data), dims);
    case 'uint8':
      return tensor('uint8', Uint8Array.from(data), dims);
    case 'bool':
      return tensor(
        'bool',
        Uint8Array.from(data, (v) => (v ? 1 : 0)),
        dims,
      );
  }
}

/** IEEE 754 binary16 bits of a number, rounding to nearest even. */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // may carry into the exponent, which is correct
  return sign | half;
}

/** The number whose IEEE 754 binary16 bits these are. */
export function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/**
 * A float tensor's values as float32. float16 arrives as its binary16 bits in a Uint16Array (onnxruntime's
 * form where the JavaScript engine has no Float16Array, as in Node.js 20) or as a Float16Array where it has one.
 */
export function float32Values(value: Tensor): Float32Array {
  const data: unknown = value.data;
  if (data instanceof Float32Array) return data;
  if (value.type === 'float16' && data instanceof Uint16Array) return Float32Array.from(data, fromHalfBits);
  if (data instanceof Float64Array || (value.type === 'float16' && ArrayBuffer.isView(data))) return Float32Array.from(data as unknown as ArrayLike<number>);
  throw new Error(`expected a float tensor, got ${value.type}`);
}
