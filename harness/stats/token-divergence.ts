/**
 * Per-token statistics of a candidate model against a reference model's
 * stored top-k distribution, with the definitions of llama.cpp's
 * `llama-perplexity --kl-divergence` (ggml-org/llama.cpp,
 * tools/perplexity/perplexity.cpp, function log_softmax(n_vocab, logits,
 * base_log_prob, tok, kld)), so the figures compare with what that community
 * publishes:
 *
 * - nll = −log q(tok), tok the next token of the text;
 * - KLD = Σ_i p_i (log p_i − log q_i), p the reference (base) distribution and
 *   q the candidate's, in nats;
 * - same top-1: argmax q = argmax p;
 * - Δp = q(tok) − p(tok): the change in the probability of the *actual next
 *   token* (not of the reference's top token).
 *
 * Two differences, both stated wherever the figures are shown:
 *
 * 1. The reference is stored as its top-k tokens plus one bucket holding the
 *    remaining mass P_tail (llama.cpp stores every token at 16 bits). The KL is
 *    then taken over the partition {each top-k token, the tail bucket}, with
 *    Q_tail the candidate's mass on the same tail tokens. By the log-sum
 *    inequality, Σ_{i∈tail} p_i log(p_i/q_i) ≥ P_tail log(P_tail/Q_tail), so
 *    the bucketed KL is a lower bound of the full-vocabulary KL (the data
 *    processing inequality for the map that merges the tail), short of it by
 *    exactly P_tail · KL(p|tail ‖ q|tail), which vanishes as P_tail → 0.
 * 2. llama.cpp skips terms whose base log-probability is at most −16 (its
 *    16-bit store cannot hold them); here every stored term counts.
 */

/** The reference's distribution at one scored position, as stored (top-k-reference.ts). */
export interface StoredDistribution {
  /** The k most probable token ids, most probable first (ties: lower id first, as argmax picks). */
  ids: ArrayLike<number>;
  /** Their natural-log probabilities. */
  logProbs: ArrayLike<number>;
  /** 1 − Σ exp(logProbs): the probability of every other token, summed directly (not by subtraction). */
  tailMass: number;
  /** The reference's log-probability of the actual next token (it may be outside the top k). */
  targetLogProb: number;
}

export interface TokenDivergence {
  nll: number;
  kld: number;
  deltaP: number;
  sameTop1: boolean;
}

/**
 * One scored token: `logProbs` the candidate's full log-softmax at the
 * position, `target` the actual next token.
 */
export function tokenDivergence(logProbs: ArrayLike<number>, target: number, reference: StoredDistribution): TokenDivergence {
  const k = reference.ids.length;
  let kld = 0;
  let topMass = 0;
  for (let j = 0; j < k; j++) {
    const lp = reference.logProbs[j]!;
    const lq = logProbs[reference.ids[j]!]!;
    kld += Math.exp(lp) * (lp - lq);
    topMass += Math.exp(lq);
  }
  const tail = reference.tailMass;
  if (tail > 0) {
    // The candidate's tail summed over the same tokens, not as 1 − topMass, which cancels to 0 when the top k hold nearly all the mass.
    const candidateTail = massOutside(logProbs, reference.ids, topMass);
    kld += tail * (Math.log(tail) - Math.log(candidateTail));
  }
  let best = 0;
  for (let i = 1; i < logProbs.length; i++) if (logProbs[i]! > logProbs[best]!) best = i;
  const lqTarget = logProbs[target]!;
  return {
    nll: -lqTarget,
    kld,
    deltaP: Math.exp(lqTarget) - Math.exp(reference.targetLogProb),
    sameTop1: best === reference.ids[0],
  };
}

function massOutside(logProbs: ArrayLike<number>, ids: ArrayLike<number>, topMass: number): number {
  const top = new Set<number>();
  for (let j = 0; j < ids.length; j++) top.add(ids[j]!);
  let sum = 0;
  for (let i = 0; i < logProbs.length; i++) if (!top.has(i)) sum += Math.exp(logProbs[i]!);
  // A tail the candidate gives no mass at all (every logit −inf) makes the KL infinite; fall back to the subtraction's floor.
  return sum > 0 ? sum : Math.max(1 - topMass, Number.MIN_VALUE);
}

/**
 * The k most probable tokens of a log-softmax row, most probable first (ties:
 * lower id first), the mass of all others summed directly, and the
 * log-probability of the target.
 */
export function topKDistribution(logProbs: ArrayLike<number>, k: number, target: number): StoredDistribution {
  const n = logProbs.length;
  const size = Math.min(k, n);
  // Selection by a bounded sorted insertion: k is small (tens) next to the vocabulary.
  const ids: number[] = [];
  const better = (a: number, b: number) => logProbs[a]! > logProbs[b]! || (logProbs[a] === logProbs[b] && a < b);
  for (let i = 0; i < n; i++) {
    if (ids.length === size && !better(i, ids[size - 1]!)) continue;
    let at = ids.length === size ? size - 1 : ids.length;
    while (at > 0 && better(i, ids[at - 1]!)) at--;
    ids.splice(at, 0, i);
    if (ids.length > size) ids.pop();
  }
  const top = new Set(ids);
  let tailMass = 0;
  for (let i = 0; i < n; i++) if (!top.has(i)) tailMass += Math.exp(logProbs[i]!);
  return { ids, logProbs: ids.map((i) => logProbs[i]!), tailMass, targetLogProb: logProbs[target]! };
}

/** KL(p ‖ q) over the whole vocabulary, from two log-softmax rows, in nats: what the stored top-k KL bounds from below. */
export function fullKlDivergence(referenceLogProbs: ArrayLike<number>, candidateLogProbs: ArrayLike<number>): number {
  let kl = 0;
  for (let i = 0; i < referenceLogProbs.length; i++) {
    const lp = referenceLogProbs[i]!;
    if (lp > -Infinity) kl += Math.exp(lp) * (lp - candidateLogProbs[i]!);
  }
  return kl;
}
