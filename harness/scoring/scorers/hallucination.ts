import { extractionHallucinationRate } from '../hallucination.ts';
import { defineScorer, scored, unscored } from '../scorer.ts';

/** Extraction hallucination (scoring.hallucination: extraction): answers with a value not found in the input text. */
export const hallucinationScorer = defineScorer({
  name: 'hallucination',
  requires: ['answers', 'inputTexts'],
  appliesTo: ({ suite }) => suite.scoring.hallucination === 'extraction',
  score({ answers, inputTexts }) {
    const items = [...answers].flatMap(([exampleId, output]) => {
      const input = inputTexts.get(exampleId);
      return input !== undefined ? [{ exampleId, input, output }] : [];
    });
    if (items.length === 0) return unscored('extraction scoring needs a "text" field on each dataset line and a text answer per example');
    return scored({ hallucination: extractionHallucinationRate(items) });
  },
});
