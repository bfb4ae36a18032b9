import { bootstrapMeanInterval, DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP_SEED } from '../stats/bootstrap.ts';
import { wilsonInterval } from '../stats/wilson.ts';
import { answerTokens, normalizeAnswer } from './normalize.ts';

/** How often a variant's answers agree with the baseline's, with a 95% interval. */
export interface AgreementScore {
  metric: 'accuracy' | 'exact-match' | 'token-f1';
  n: number;
  /** Share in [0, 1]. */
  value: number;
  ci95: { lower: number; upper: number };
  /** One line: how value and interval were computed. */
  method: string;
  /** 1 or 0 for accuracy and exact match, F1 in [0, 1] for token F1; kept for paired tests between variants. */
  perExample: { exampleId: string; score: number }[];
}

export interface AnswerPair {
  exampleId: string;
  predicted: string;
  expected: string;
}

/** Share of examples whose predicted label is exactly the expected label; Wilson score interval. */
export function labelAccuracy(pairs: readonly AnswerPair[]): AgreementScore {
  return shareOfMatches(
    'accuracy',
    pairs,
    (pair) => pair.predicted === pair.expected,
    'share of examples whose predicted label equals the expected label exactly; 95% CI: Wilson score interval (Wilson 1927)',
  );
}

/** Share of examples equal after SQuAD normalisation; Wilson score interval. */
export function exactMatch(pairs: readonly AnswerPair[]): AgreementScore {
  return shareOfMatches(
    'exact-match',
    pairs,
    (pair) => normalizeAnswer(pair.predicted) === normalizeAnswer(pair.expected),
    'share of examples whose answers are equal after SQuAD normalisation (NFKC, lowercase, no punctuation or articles, single spaces); 95% CI: Wilson score interval (Wilson 1927)',
  );
}

/** Mean SQuAD token F1; percentile bootstrap interval of the mean. */
export function tokenF1(pairs: readonly AnswerPair[]): AgreementScore {
  requireExamples('token-f1', pairs);
  const perExample = pairs.map((pair) => ({ exampleId: pair.exampleId, score: answerF1(pair.predicted, pair.expected) }));
  const scores = perExample.map((e) => e.score);
  return {
    metric: 'token-f1',
    n: pairs.length,
    value: scores.reduce((sum, s) => sum + s, 0) / scores.length,
    ci95: bootstrapMeanInterval(scores, { confidence: 0.95 }),
    method: `mean SQuAD token F1 (overlap of the bags of normalised tokens); 95% CI: percentile bootstrap of the mean (Efron & Tibshirani 1993), ${DEFAULT_BOOTSTRAP_RESAMPLES} resamples, seed ${DEFAULT_BOOTSTRAP_SEED}`,
    perExample,
  };
}

/**
 * Token F1 of one answer as the SQuAD v2 script scores it: harmonic mean of
 * precision and recall of the shared tokens, counted as multisets. When either
 * side has no tokens, 1 if both are empty and 0 otherwise.
 */
export function answerF1(predicted: string, expected: string): number {
  const predictedTokens = answerTokens(predicted);
  const expectedTokens = answerTokens(expected);
  if (predictedTokens.length === 0 || expectedTokens.length === 0) return predictedTokens.length === expectedTokens.length ? 1 : 0;
  const common = sharedCount(predictedTokens, expectedTokens);
  if (common === 0) return 0;
  const precision = common / predictedTokens.length;
  const recall = common / expectedTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/** How many items two lists share, counted as multisets: an item twice in one and once in the other counts once. */
export function sharedCount(predicted: readonly string[], expected: readonly string[]): number {
  const left = new Map<string, number>();
  for (const item of expected) left.set(item, (left.get(item) ?? 0) + 1);
  let common = 0;
  for (const item of predicted) {
    const count = left.get(item) ?? 0;
    if (count > 0) {
      common++;
      left.set(item, count - 1);
    }
  }
  return common;
}

function shareOfMatches(
  metric: 'accuracy' | 'exact-match',
  pairs: readonly AnswerPair[],
  matches: (pair: AnswerPair) => boolean,
  method: string,
): AgreementScore {
  requireExamples(metric, pairs);
  const perExample = pairs.map((pair) => ({ exampleId: pair.exampleId, score: matches(pair) ? 1 : 0 }));
  const successes = perExample.reduce((sum, e) => sum + e.score, 0);
  return { metric, n: pairs.length, value: successes / pairs.length, ci95: wilsonInterval(successes, pairs.length), method, perExample };
}

// A share of nothing has no value; callers skip the scorer and say why rather than report NaN.
function requireExamples(metric: AgreementScore['metric'], pairs: readonly AnswerPair[]): void {
  if (pairs.length === 0) throw new RangeError(`${metric} needs at least one example with both a predicted and an expected answer; got none`);
}
