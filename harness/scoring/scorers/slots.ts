import { defineScorer, scored, unscored } from '../scorer.ts';
import { parseCall, slotScore } from '../slots.ts';

/** Slot F1 and intent accuracy (scoring.slots: call) of answers written as intent(slot=value, ...). */
export const slotsScorer = defineScorer({
  name: 'slots',
  requires: ['answers', 'baselineAnswers'],
  appliesTo: ({ suite }) => suite.scoring.slots === 'call',
  score({ answers, baselineAnswers }) {
    const pairs = [...answers].flatMap(([exampleId, predicted]) => {
      const expected = parseCall(baselineAnswers.get(exampleId) ?? '');
      return expected ? [{ exampleId, predicted, expected }] : [];
    });
    if (pairs.length === 0) return unscored('no baseline answer is written as a call, intent(slot=value, ...)');
    return scored({ slots: slotScore(pairs) });
  },
});
