import { argmax } from './argmax.ts';

/**
 * How closely a quantized variant reproduces its reference, distribution by
 * distribution (one per class decision or next-token position), as llama.cpp's
 * perplexity tool reports for quantized models: mean KL divergence, top-1
 * agreement, and the largest absolute logit difference.
 */
export interface Fidelity {
  distributions: number;
  /** Mean of KL(reference || candidate) in nats. */
  meanKlDivergence: number;
  /** Share of distributions whose argmax is the same. */
  top1Agreement: number;
  maxAbsLogitError: number;
}

/** log softmax, shifted by the maximum for numerical stability. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const logSum = max + Math.log(sum);
  return Float64Array.from({ length: logits.length }, (_, i) => logits[i]! - logSum);
}

/** KL(P || Q) = sum p (log p - log q), from logits, in nats. */
export function klDivergence(referenceLogits: ArrayLike<number>, candidateLogits: ArrayLike<number>): number {
  const logP = logSoftmax(referenceLogits);
  const logQ = logSoftmax(candidateLogits);
  let kl = 0;
  for (let i = 0; i < logP.length; i++) kl += Math.exp(logP[i]!) * (logP[i]! - logQ[i]!);
  return Math.max(0, kl);
}

/**
 * Compares logits row by row: `reference` and `candidate` are flat [rows x width]
 * arrays from the same inputs, one row per distribution.
 */
export function fidelity(reference: ArrayLike<number>[], candidate: ArrayLike<number>[], width: number): Fidelity {
  if (reference.length !== candidate.length) throw new RangeError('reference and candidate need the same number of outputs');
  let rows = 0;
  let klSum = 0;
  let agree = 0;
  let maxAbs = 0;
  reference.forEach((ref, index) => {
    const cand = candidate[index]!;
    if (ref.length !== cand.length || ref.length % width !== 0)
      throw new RangeError(`output ${index}: lengths ${ref.length} and ${cand.length} are not rows of ${width}`);
    for (let start = 0; start < ref.length; start += width) {
      const r = Array.prototype.slice.call(ref, start, start + width) as number[];
      const c = Array.prototype.slice.call(cand, start, start + width) as number[];
      klSum += klDivergence(r, c);
      if (argmax(r) === argmax(c)) agree++;
      for (let i = 0; i < width; i++) maxAbs = Math.max(maxAbs, Math.abs(r[i]! - c[i]!));
      rows++;
    }
  });
  return { distributions: rows, meanKlDivergence: rows ? klSum / rows : 0, top1Agreement: rows ? agree / rows : 0, maxAbsLogitError: maxAbs };
}
