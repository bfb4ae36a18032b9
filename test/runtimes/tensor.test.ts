import { describe, expect, it } from 'vitest';
import { float32Values, fromHalfBits, tensor, tensorFromSpec, toHalfBits } from '../../harness/runtimes/tensor.ts';
import { argmax } from '../../harness/stats/argmax.ts';

describe('toHalfBits (IEEE 754 binary16)', () => {
  it('encodes reference values', () => {
    // Reference bit patterns: numpy.float16(x).view(numpy.uint16).
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(0.1)).toBe(0x2e66);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(5.960464477539063e-8)).toBe(0x0001); // smallest subnormal
    expect(toHalfBits(1e-9)).toBe(0);
    expect(toHalfBits(1e6)).toBe(0x7c00); // overflow to infinity
    expect(toHalfBits(Number.NEGATIVE_INFINITY)).toBe(0xfc00);
    expect(toHalfBits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it('rounds half to even', () => {
    // 2049 lies halfway between the binary16 neighbours 2048 (0x6800) and 2050 (0x6801).
    expect(toHalfBits(2049)).toBe(0x6800);
    expect(toHalfBits(2051)).toBe(0x6802);
  });
});

describe('tensorFromSpec', () => {
  it('builds typed tensors with the declared shape', () => {
    const ids = tensorFromSpec({ type: 'int64', dims: [1, 3], data: [5, 6, 7] });
    expect(ids.type).toBe('int64');
    expect(ids.dims).toEqual([1, 3]);
    expect(Array.from(ids.data as BigInt64Array)).toEqual([5n, 6n, 7n]);
    const mask = tensorFromSpec({ type: 'bool', dims: [2], data: [0, 1] });
    expect(Array.from(mask.data as Uint8Array)).toEqual([0, 1]);
  });
});

describe('argmax', () => {
  it('returns the first index of the largest value', () => {
    expect(argmax([0.1, 3, -1, 3])).toBe(1);
    expect(argmax(new Float32Array([-5, -4.5]))).toBe(1);
  });
});

describe('float32Values (logits of any float type, read for argmax)', () => {
  it('decodes float16 bits, including subnormals and infinities, and round-trips toHalfBits', () => {
    expect([0x3c00, 0xc000, 0x7bff, 0x0001, 0xfc00].map(fromHalfBits)).toEqual([1, -2, 65504, 5.960464477539063e-8, Number.NEGATIVE_INFINITY]);
    const values = [0.1, -3.5, 1000, 0];
    const half = tensor('float16', Uint16Array.from(values, toHalfBits), [4]);
    const read = float32Values(half);
    expect(read).toBeInstanceOf(Float32Array);
    values.forEach((v, i) => expect(read[i]).toBeCloseTo(v, 2));
    expect(argmax(read)).toBe(2);
  });

  it('passes float32 through without a copy and refuses integer tensors', () => {
    const data = Float32Array.of(1, 2);
    expect(float32Values(tensor('float32', data, [2]))).toBe(data);
    expect(() => float32Values(tensor('int64', BigInt64Array.of(1n), [1]))).toThrow(/expected a float tensor, got int64/);
  });
});
