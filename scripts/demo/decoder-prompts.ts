import { readFileSync } from 'node:fs';

/** The corpus the demo decoder was trained on holds these out: the decoder never saw their exchanges. */
export const HELD_OUT_CORPUS = 'test/fixtures/corpus/heldout.txt';

/** The example of the article the demo follows; its time is written as no training exchange writes one. */
const ARTICLE_EXAMPLE = { utterance: 'Book a table at 7pm for two', answer: 'book_table(party=two, time=7pm)' };

const EXCHANGE = /^(Extract the intent: '.*' ->) (.+)$/;

/**
 * Intent-extraction prompts in the format the demo decoder was trained on,
 * "Extract the intent: '<utterance>' ->", each with the expected answer
 * "intent(slot=value, ...)" as its recorded baseline: the article's example,
 * then the held-out corpus's exchanges in their order.
 */
export function decoderPromptExamples(count: number, corpusFile = HELD_OUT_CORPUS): { id: string; text: string; baseline: string }[] {
  const exchanges = readFileSync(corpusFile, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = EXCHANGE.exec(line);
      return match ? [{ text: match[1]!, baseline: match[2]! }] : [];
    });
  const all = [{ text: `Extract the intent: '${ARTICLE_EXAMPLE.utterance}' ->`, baseline: ARTICLE_EXAMPLE.answer }, ...exchanges];
  if (all.length < count) throw new RangeError(`${corpusFile} holds ${exchanges.length} intent-extraction exchanges; the demo needs ${count - 1}`);
  return all.slice(0, count).map((example, i) => ({ id: `prompt-${String(i).padStart(4, '0')}`, ...example }));
}
