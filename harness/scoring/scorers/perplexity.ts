import { perplexityStatistics } from '../../stats/perplexity-statistics.ts';
import { defineScorer, scored, unscored } from '../scorer.ts';

/**
 * perplexity: the corpus's perplexity with its 95% intervals, and KL
 * divergence, same top-1 and Δp against the reference's stored distributions
 * over every scored token of every window (stats/perplexity-statistics.ts).
 */
export const perplexityScorer = defineScorer({
  name: 'perplexity',
  requires: ['storedReference'],
  appliesTo: ({ suite }) => suite.task === 'perplexity',
  score({ storedReference }, { cell }) {
    const windows = cell.outputs.flatMap((o) => (o.output.kind === 'perplexity' ? [o.output] : []));
    if (windows.length === 0) return unscored('no window has an output');
    return scored({ perplexity: perplexityStatistics(windows, storedReference) });
  },
});
