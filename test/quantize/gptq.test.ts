import { describe, expect, it } from 'vitest';
import { captureInputs } from '../../harness/quantize/capture-inputs.ts';
import { loadEditableModel } from '../../harness/quantize/model-graph.ts';
import { findMatMulTargets, weightKey, weightMatrix } from '../../harness/quantize/targets.ts';
import { asymmetricTarget, gptqInt4Blocks, gramMatrix, outputCorrection, refitScales } from '../../harness/quantize/gptq.ts';
import { sequentialGptq } from '../../harness/quantize/sequential-gptq.ts';
import { floatValues } from '../../harness/quantize/model-graph.ts';
import { dequantizeInt4Blocks, quantizeInt4Blocks } from '../../harness/quantize/int4-blocks.ts';
import { matmul, randomMatrix } from '../helpers/models.ts';

const K = 128;
const N = 48;

const LATENT = 24;
const mixing = randomMatrix(LATENT, K, 21);

/** Correlated activations (a few latent directions plus noise) with outlier input channels, as real LLM layers have them. */
function activations(samples: number, seed: number): Float32Array {
  const x = matmul(randomMatrix(samples, LATENT, seed), mixing, samples, LATENT, K);
  const noise = randomMatrix(samples, K, seed + 1000, 0.1);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! + noise[i]!;
  for (let s = 0; s < samples; s++) for (const c of [5, 40, 97]) x[s * K + c] = x[s * K + c]! * 20;
  return x;
}

function reconstructionError(x: Float32Array, samples: number, weight: Float32Array, quantized: Float32Array): number {
  const a = matmul(x, weight, samples, K, N);
  const b = matmul(x, quantized, samples, K, N);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return sum / a.length;
}

describe('GPTQ', () => {
  it('lowers the layer reconstruction error against round-to-nearest on held-out activations with outlier channels', () => {
    const weight = randomMatrix(K, N, 3, 0.05);
    const calibration = activations(2048, 7);
    const heldOut = activations(128, 8);
    const rtn = dequantizeInt4Blocks(quantizeInt4Blocks(weight, K, N, 32, true));
    const gptq = dequantizeInt4Blocks(gptqInt4Blocks(weight, K, N, 32, gramMatrix([calibration], K)));
    const rtnError = reconstructionError(heldOut, 128, weight, rtn);
    const gptqError = reconstructionError(heldOut, 128, weight, gptq);
    expect(gptqError).toBeLessThan(0.6 * rtnError);
  });

  it('with a zero point per block, lowers the error against asymmetric round-to-nearest, and writes the zero points', () => {
    // One-sided weights, where a zero point per block pays off.
    const weight = randomMatrix(K, N, 5, 0.05).map((w) => Math.abs(w) + 0.01);
    const calibration = activations(2048, 7);
    const heldOut = activations(128, 8);
    const q = gptqInt4Blocks(weight, K, N, 32, gramMatrix([calibration], K), 0.01, false);
    expect(q.zeroPoints).toHaveLength(N * 2); // 4 blocks per column, two per byte
    const rtn = reconstructionError(heldOut, 128, weight, dequantizeInt4Blocks(quantizeInt4Blocks(weight, K, N, 32, false)));
    const symmetric = reconstructionError(heldOut, 128, weight, dequantizeInt4Blocks(gptqInt4Blocks(weight, K, N, 32, gramMatrix([calibration], K))));
    const asymmetric = reconstructionError(heldOut, 128, weight, dequantizeInt4Blocks(q));
    expect(asymmetric).toBeLessThan(0.6 * rtn);
    expect(asymmetric).toBeLessThan(symmetric);
  });

  it('with an identity Hessian (white inputs) stays as good as round-to-nearest', () => {
    const weight = randomMatrix(K, N, 4, 0.05);
    const x = randomMatrix(512, K, 9);
    const rtn = reconstructionError(x, 512, weight, dequantizeInt4Blocks(quantizeInt4Blocks(weight, K, N, 32, true)));
    const gptq = reconstructionError(x, 512, weight, dequantizeInt4Blocks(gptqInt4Blocks(weight, K, N, 32, gramMatrix([x], K))));
    expect(gptq).toBeLessThan(rtn * 1.05);
  });
});

/** (w - q)^T H (w - q) summed over the columns: the layer's loss on the rows H was built from. */
function hessianLoss(weight: Float32Array, quantized: Float32Array, h: Float64Array, k: number, n: number): number {
  let loss = 0;
  const d = new Float64Array(k);
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < k; i++) d[i] = weight[i * n + c]! - quantized[i * n + c]!;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) loss += d[i]! * h[i * k + j]! * d[j]!;
  }
  return loss;
}

describe('refitScales', () => {
  it('keeps the codes and lowers the layer loss of GPTQ blocks (it can never raise it)', () => {
    const weight = randomMatrix(K, N, 3, 0.05);
    const h = gramMatrix([activations(2048, 7)], K);
    const blocks = gptqInt4Blocks(weight, K, N, 32, h);
    const refitted = refitScales(blocks, weight, h);
    expect(refitted.packed).toEqual(blocks.packed);
    const before = hessianLoss(weight, dequantizeInt4Blocks(blocks), h, K, N);
    const after = hessianLoss(weight, dequantizeInt4Blocks(refitted), h, K, N);
    expect(after).toBeLessThan(before);
    // Each column's scales are the least-squares optimum: nudging any one of them raises the loss.
    for (const factor of [0.99, 1.01]) {
      const nudged = { ...refitted, scales: refitted.scales.map((s, i) => (i === 5 ? s * factor : s)) };
      expect(hessianLoss(weight, dequantizeInt4Blocks(nudged), h, K, N)).toBeGreaterThan(after);
    }
  });
});

describe('asymmetricTarget (GPTAQ)', () => {
  /** The float model's input Y, and X: the same rows after earlier layers' rounding distorted them (a linear map plus noise). */
  function pairedInputs(samples: number, seed: number): { x: Float32Array; y: Float32Array } {
    const y = activations(samples, seed);
    const distortion = randomMatrix(K, K, 77, 0.03);
    const x = matmul(y, distortion, samples, K, K);
    const noise = randomMatrix(samples, K, seed + 500, 0.02);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + y[i]! + noise[i]!;
    return { x, y };
  }

  it('is the weight itself when the input is undistorted', () => {
    const weight = randomMatrix(K, N, 3, 0.05);
    const y = activations(512, 7);
    const target = asymmetricTarget(weight, K, N, gramMatrix([y], K), outputCorrection([y], [y], weight, K, N));
    expect(Array.from(target)).toEqual(Array.from(weight));
  });

  it("quantized, matches the float model's output on held-out rows better than GPTQ on the layer's own output", () => {
    const weight = randomMatrix(K, N, 3, 0.05);
    const calibration = pairedInputs(2048, 7);
    const heldOut = pairedInputs(256, 8);
    const h = gramMatrix([calibration.x], K);
    const target = asymmetricTarget(weight, K, N, h, outputCorrection([calibration.x], [calibration.y], weight, K, N));
    const floatOutput = matmul(heldOut.y, weight, 256, K, N);
    const error = (q: Float32Array) => {
      const out = matmul(heldOut.x, q, 256, K, N);
      return out.reduce((sum, v, i) => sum + (v - floatOutput[i]!) ** 2, 0);
    };
    const gptq = error(dequantizeInt4Blocks(gptqInt4Blocks(weight, K, N, 32, h)));
    const gptaq = error(dequantizeInt4Blocks(gptqInt4Blocks(target, K, N, 32, h)));
    expect(gptaq).toBeLessThan(0.8 * gptq);
  });
});

describe('GPTQ on a real layer', () => {
  it('lowers the reconstruction error of llama-tjs projections on prompts the calibration never saw', async () => {
    const model = await loadEditableModel('test/fixtures/models/llama-tjs/onnx/model.onnx');
    const targets = findMatMulTargets(model.graph).filter((t) => /layers\.1\/(mlp\/)?(down_proj|up_proj|self_attn\/q_proj)/.test(t.layer));
    expect(targets.length).toBeGreaterThanOrEqual(3);
    const prompt = (seed: number) => Array.from({ length: 40 }, (_, i) => (seed * 131 + i * 17) % 450);
    const example = (seed: number) => ({ id: String(seed), feeds: { input_ids: { type: 'int64' as const, dims: [1, 40], data: prompt(seed) } } });
    const names = [...new Set(targets.map((t) => t.input))];
    const calibration = await captureInputs(
      model.proto,
      names,
      Array.from({ length: 48 }, (_, i) => example(i)),
    );
    const heldOut = await captureInputs(model.proto, names, [example(100), example(101)]);
    for (const target of targets) {
      const weight = weightMatrix(target);
      const x = Float32Array.from(heldOut.get(target.input)!.flatMap((a) => Array.from(a)));
      const samples = x.length / target.k;
      const error = (q: Float32Array) => {
        const a = matmul(x, weight, samples, target.k, target.n);
        const b = matmul(x, q, samples, target.k, target.n);
        return a.reduce((sum, v, i) => sum + (v - b[i]!) ** 2, 0);
      };
      const rtn = error(dequantizeInt4Blocks(quantizeInt4Blocks(weight, target.k, target.n, 32, true)));
      const gptq = error(dequantizeInt4Blocks(gptqInt4Blocks(weight, target.k, target.n, 32, gramMatrix(calibration.get(target.input)!, target.k))));
      expect(gptq, target.layer).toBeLessThan(rtn);
    }
  });

  it('sequentially: quantizes every layer once, in the order the model computes, and puts the float weights back', async () => {
    const model = await loadEditableModel('test/fixtures/models/llama-tjs/onnx/model.onnx');
    const targets = findMatMulTargets(model.graph);
    const before = targets.map((t) => floatValues(t.weight));
    const examples = Array.from({ length: 4 }, (_, seed) => ({
      id: String(seed),
      feeds: { input_ids: { type: 'int64' as const, dims: [1, 24], data: Array.from({ length: 24 }, (_, i) => (seed * 131 + i * 17) % 450) } },
    }));
    const blocks = await sequentialGptq(model.proto, targets, examples, { blockSize: 32, symmetric: true });
    expect(blocks.size).toBe(new Set(targets.map(weightKey)).size);
    targets.forEach((t, i) => expect(floatValues(t.weight), t.layer).toEqual(before[i]));
    // The first layers read the float model's own input, so their blocks are one-pass GPTQ's (then refitted).
    const first = targets[0]!;
    const onePass = (await captureInputs(model.proto, [first.input], examples)).get(first.input)!;
    const h = gramMatrix(onePass, first.k);
    expect(blocks.get(weightKey(first))!.packed).toEqual(gptqInt4Blocks(weightMatrix(first), first.k, first.n, 32, h).packed);
    // The last reads an input the quantized layers before it computed: not what the float model gives it.
    const last = targets.at(-1)!;
    const floatInput = (await captureInputs(model.proto, [last.input], examples)).get(last.input)!;
    const fromFloat = gptqInt4Blocks(weightMatrix(last), last.k, last.n, 32, gramMatrix(floatInput, last.k));
    expect(blocks.get(weightKey(last))!.packed).not.toEqual(fromFloat.packed);
  });
});
