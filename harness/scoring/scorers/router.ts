import { confidenceSignals } from '../confidence.ts';
import { simulateRouter } from '../router.ts';
import { defineScorer, scored, unscored } from '../scorer.ts';

const SIGNAL_KEY = { 'max-probability': 'maxProbability', entropy: 'entropy', 'logit-gap': 'logitGap' } as const;

/**
 * The hybrid router (router: {signal, targetAccuracy}): keep an answer on the
 * device when its confidence clears a threshold, else send it to the cloud
 * baseline; a sweep of thresholds, scored against the expected labels.
 */
export const routerScorer = defineScorer({
  name: 'router',
  requires: ['answers', 'baselineAnswers', 'labels', 'logits'],
  appliesTo: ({ suite }) => suite.router !== undefined,
  score({ answers, baselineAnswers, labels, logits }, { suite }) {
    const router = suite.router!;
    const items = [...answers].flatMap(([exampleId, answer]) => {
      const distribution = logits.get(exampleId);
      const cloud = baselineAnswers.get(exampleId);
      const truth = labels.get(exampleId);
      return distribution && cloud !== undefined && truth !== undefined
        ? [{ exampleId, signals: confidenceSignals(distribution), localCorrect: answer === truth, cloudCorrect: cloud === truth }]
        : [];
    });
    if (items.some((i) => !Number.isFinite(i.signals[SIGNAL_KEY[router.signal]])))
      return unscored(`the ${router.signal} signal is infinite for some examples (masked logits): use another signal`);
    if (items.length === 0) return unscored('no example has both a confidence signal and a baseline answer');
    return scored({ router: simulateRouter(items, router.signal, router.targetAccuracy) });
  },
});
