import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dequantizeInt4Blocks,
  packZeroPoints,
  quantizeInt4Blocks,
  SCALE_SEARCH_SHARES,
  searchedAsymmetricGrid,
  searchedKeptShares,
  searchedSymmetricScale,
} from '../../harness/quantize/int4-blocks.ts';
import { quantizeModel } from '../../harness/quantize/quantize.ts';
import { matmul, maxAbsDiff, randomMatrix, runFloat, writeSingleMatMul } from '../helpers/models.ts';
import { tempProject, type TempProject } from '../helpers/project.ts';

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project.cleanup());

describe('quantizeInt4Blocks', () => {
  it('packs codes low nibble first, one column per output feature', () => {
    // K = 4, N = 1, block 4: symmetric, largest magnitude 8 -> scale -1, codes q = w / -1 + 8.
    const q = quantizeInt4Blocks(Float32Array.of(8, 0, -3, 5), 4, 1, 4, true);
    expect(q.scales[0]).toBe(-1);
    // codes: 8/-1+8 = 0, 0+8 = 8, 3+8 = 11, -5+8 = 3
    expect(Array.from(q.packed)).toEqual([0 | (8 << 4), 11 | (3 << 4)]);
    expect(q.zeroPoints).toBeUndefined();
    expect(Array.from(dequantizeInt4Blocks(q), (v) => v + 0)).toEqual([8, 0, -3, 5]); // + 0 turns -0 into 0
  });

  it('packs per-block zero points two to a byte, even block in the low nibble', () => {
    // K = 6, N = 1, block 2: three blocks, zero points for blocks 0 and 1 share a byte, block 2 sits alone.
    const q = quantizeInt4Blocks(Float32Array.of(0, 15, -15, 0, 1, 16), 6, 1, 2, false);
    expect(q.blocksPerColumn).toBe(3);
    expect(q.zeroPoints).toHaveLength(2);
    expect(q.zeroPoints![0]! & 0x0f).toBe(0); // block [0, 15]: min 0 -> zero point 0
    expect(q.zeroPoints![0]! >> 4).toBe(15); // block [-15, 0]: max 0 -> zero point 15
    expect(q.zeroPoints![1]! & 0x0f).toBe(0); // block [1, 16] widened to include 0
    expect(maxAbsDiff(dequantizeInt4Blocks(q), [0, 15, -15, 0, 1, 16])).toBeLessThan(0.6);
  });

  it('keeps the error within half a step per block, and pads K to whole blocks', () => {
    const k = 70;
    const n = 5;
    const weight = randomMatrix(k, n, 3);
    for (const symmetric of [true, false]) {
      const q = quantizeInt4Blocks(weight, k, n, 32, symmetric);
      expect(q.blocksPerColumn).toBe(3);
      expect(q.packed).toHaveLength(n * 3 * 16);
      const restored = dequantizeInt4Blocks(q);
      for (let col = 0; col < n; col++) {
        for (let row = 0; row < k; row++) {
          const step = Math.abs(q.scales[col * 3 + Math.floor(row / 32)]!);
          // Symmetric clips the far side of the range at +7 steps: allow one step there.
          expect(Math.abs(restored[row * n + col]! - weight[row * n + col]!)).toBeLessThanOrEqual(step * (symmetric ? 1 : 0.5) + 1e-6);
        }
      }
    }
  });
});

describe('MatMulNBits in onnxruntime', () => {
  it.each([
    { blockSize: 32, symmetric: true },
    { blockSize: 64, symmetric: false },
    { blockSize: 128, symmetric: true },
  ] as const)('computes x @ dequantize(W) for block $blockSize, symmetric $symmetric', async ({ blockSize, symmetric }) => {
    const [m, k, n] = [3, 200, 24];
    const weight = randomMatrix(k, n, 11);
    const source = project.path(`single-${blockSize}-${symmetric}.onnx`);
    await writeSingleMatMul(source, weight, k, n);
    // accuracy level 0: onnxruntime computes in float32, so it must match the JS reference closely.
    const { outputFile, manifest } = await quantizeModel({ input: source, to: 'int4', blockSize, symmetric, accuracyLevel: 0 });
    expect(manifest.layers.int4).toHaveLength(1);
    const x = randomMatrix(m, k, 12);
    const actual = await runFloat(outputFile, { x: { data: x, dims: [m, k] } });
    const reference = matmul(x, dequantizeInt4Blocks(quantizeInt4Blocks(weight, k, n, blockSize, symmetric)), m, k, n);
    expect(maxAbsDiff(actual, reference)).toBeLessThan(1e-3);
    // ... and differs from the float result by the quantization error, not by zero.
    expect(maxAbsDiff(actual, matmul(x, weight, m, k, n))).toBeGreaterThan(1e-3);
  });
});

describe('the error-minimising block scale', () => {
  const roundTripError = (values: number[], scale: number, importance?: number[]) =>
    values.reduce((sum, v, j) => {
      const e = v - Math.max(-8, Math.min(7, Math.round(v / scale))) * scale;
      return sum + (importance?.[j] ?? 1) * e * e;
    }, 0);

  it('is the grid share with the least (weighted) rounding error, never worse than the max-magnitude scale', () => {
    // One outlier: the max scale spends its range on it and rounds the other 31 values coarsely.
    const values = [2.4, ...Array.from({ length: 31 }, (_, j) => Math.sin(j * 1.7) * 0.9)];
    const scale = searchedSymmetricScale(values);
    const brute = Math.min(...SCALE_SEARCH_SHARES.map((share) => roundTripError(values, Math.fround((2.4 * share) / -8))));
    expect(roundTripError(values, scale)).toBeCloseTo(brute, 12);
    expect(roundTripError(values, scale)).toBeLessThan(roundTripError(values, 2.4 / -8));
    expect(scale).not.toBe(Math.fround(2.4 / -8));
    // Importance moves the choice toward the heavily weighted elements.
    const importance = values.map((_, j) => (j === 5 ? 1000 : 1));
    const weighted = searchedSymmetricScale(values, importance);
    const bruteWeighted = Math.min(...SCALE_SEARCH_SHARES.map((share) => roundTripError(values, Math.fround((2.4 * share) / -8), importance)));
    expect(roundTripError(values, weighted, importance)).toBeCloseTo(bruteWeighted, 9);
  });

  it('as kept shares, gives quantizeInt4Blocks blocks whose dequantized error is no larger than round-to-nearest', () => {
    const k = 64;
    const n = 8;
    const weight = Float32Array.from({ length: k * n }, (_, i) => Math.sin(i * 0.37) * (i % 29 === 0 ? 4 : 1));
    const kept = searchedKeptShares(weight, k, n, 32);
    const error = (w: Float32Array) => w.reduce((sum, v, i) => sum + (v - weight[i]!) ** 2, 0);
    const searched = error(dequantizeInt4Blocks(quantizeInt4Blocks(weight, k, n, 32, true, kept)));
    const rtn = error(dequantizeInt4Blocks(quantizeInt4Blocks(weight, k, n, 32, true)));
    expect(kept.every((share) => share >= 0.8 && share <= 1)).toBe(true);
    expect(searched).toBeLessThan(rtn);
  });
});

describe('the error-minimising asymmetric grid', () => {
  const roundTripError = (values: number[], grid: { scale: number; zeroPoint: number }) =>
    values.reduce((sum, v) => {
      const code = Math.max(0, Math.min(15, Math.round(v / grid.scale) + grid.zeroPoint));
      return sum + (v - (code - grid.zeroPoint) * grid.scale) ** 2;
    }, 0);

  it('never does worse than the plain min-max grid, and finds a finer one when an outlier stretches the range', () => {
    // A one-sided block (all positive but one outlier): the min-max grid spends 15 steps on [0, 3].
    const values = [3, ...Array.from({ length: 31 }, (_, j) => 0.2 + Math.abs(Math.sin(j * 1.3)) * 0.6)];
    const grid = searchedAsymmetricGrid(values);
    const minMax = { scale: Math.fround(3 / 15), zeroPoint: 0 };
    expect(roundTripError(values, grid)).toBeLessThan(roundTripError(values, minMax));
    expect(grid.zeroPoint).toBeGreaterThanOrEqual(0);
    expect(grid.zeroPoint).toBeLessThanOrEqual(15);
    // The same block packed: two zero points per byte, low nibble first, as MatMulNBits reads them.
    const packed = packZeroPoints([3, 12, 7], 1, 3);
    expect([...packed]).toEqual([3 | (12 << 4), 7]);
  });

  it('an all-zero block has scale 0 (it dequantizes to 0)', () => {
    expect(searchedAsymmetricGrid([0, 0, 0, 0]).scale).toBe(0);
  });
});
