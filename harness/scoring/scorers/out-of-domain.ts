import { outOfDomainErrorRate } from '../hallucination.ts';
import { defineScorer, scored, unscored } from '../scorer.ts';

/** Out-of-domain error (classification.abstainLabels): out-of-scope examples answered with an in-scope label. */
export const outOfDomainScorer = defineScorer({
  name: 'outOfDomain',
  requires: ['answers', 'labels', 'outOfDomainSet'],
  appliesTo: ({ suite }) => (suite.classification?.abstainLabels ?? []).length > 0,
  score({ answers, labels, outOfDomainSet }, { suite }) {
    const items = [...answers].flatMap(([exampleId, predicted]) =>
      labels.has(exampleId) ? [{ exampleId, predicted, outOfScope: outOfDomainSet.has(exampleId) }] : [],
    );
    if (!items.some((i) => i.outOfScope)) return unscored('no out-of-scope example has an answer');
    return scored({ outOfDomain: outOfDomainErrorRate(items, suite.classification?.abstainLabels ?? []) });
  },
});
