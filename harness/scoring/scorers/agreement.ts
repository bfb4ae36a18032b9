import { exactMatch, labelAccuracy, tokenF1 } from '../agreement.ts';
import { defineScorer, scored, unscored } from '../scorer.ts';

/** Agreement with the baseline: accuracy, exact match or token F1 (scoring.metric), with a 95% CI. */
export const agreementScorer = defineScorer({
  name: 'agreement',
  requires: ['answers', 'baselineAnswers'],
  // A perplexity window has no answer to agree with: its quality is the perplexity scorer's.
  appliesTo: ({ suite }) => suite.task !== 'perplexity',
  score({ answers, baselineAnswers }, { suite }) {
    const pairs = [...answers].flatMap(([exampleId, predicted]) => {
      const expected = baselineAnswers.get(exampleId);
      return expected !== undefined ? [{ exampleId, predicted, expected }] : [];
    });
    if (pairs.length === 0) return unscored('no example has both an answer and a baseline answer');
    const metric = suite.scoring.metric ?? (suite.task === 'classify' ? 'accuracy' : 'exact-match');
    return scored({ agreement: metric === 'accuracy' ? labelAccuracy(pairs) : metric === 'exact-match' ? exactMatch(pairs) : tokenF1(pairs) });
  },
});
