import { logSoftmax } from '../stats/fidelity.ts';

/** How sure a model is of its top choice, read from one distribution's logits. */
export interface ConfidenceSignals {
  /** Softmax probability of the top class. */
  maxProbability: number;
  /** Shannon entropy of the softmax, in nats: 0 when certain, ln(k) when uniform over k classes. */
  entropy: number;
  /** Top logit minus the runner-up logit; unchanged when every logit moves by the same amount. Infinity when every other class is masked. */
  logitGap: number;
}

/**
 * Confidence signals of one distribution, from the log-softmax shifted by the
 * largest logit so that logits in the thousands neither overflow nor round the
 * small probabilities away. Masked classes (-Infinity) contribute nothing.
 */
export function confidenceSignals(logits: ArrayLike<number>): ConfidenceSignals {
  if (logits.length < 2) throw new RangeError(`confidence signals need at least two logits, got ${logits.length}`);
  let top = -Infinity;
  let runnerUp = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const logit = logits[i]!;
    if (Number.isNaN(logit) || logit === Infinity) throw new RangeError(`logit ${i} is ${logit}; logits must be finite, or -Infinity for a masked class`);
    if (logit > top) {
      runnerUp = top;
      top = logit;
    } else if (logit > runnerUp) runnerUp = logit;
  }
  if (top === -Infinity) throw new RangeError('every logit is -Infinity: no class has any probability');

  let maxLogProbability = -Infinity;
  let entropy = 0;
  for (const logProbability of logSoftmax(logits)) {
    maxLogProbability = Math.max(maxLogProbability, logProbability);
    // p log p tends to 0 as p tends to 0; skipping masked classes avoids 0 * -Infinity.
    if (logProbability !== -Infinity) entropy -= Math.exp(logProbability) * logProbability;
  }
  // Rounding can leave a one-hot distribution a few ulps below zero.
  return { maxProbability: Math.exp(maxLogProbability), entropy: Math.max(0, entropy), logitGap: top - runnerUp };
}
