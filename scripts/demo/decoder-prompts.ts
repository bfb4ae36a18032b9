import { readFileSync } from 'node:fs';

/** The corpus the demo decoder was trained on, and the part of it that training held out. */
export const TRAINING_CORPUS = 'test/fixtures/corpus/train.txt';
export const HELD_OUT_CORPUS = 'test/fixtures/corpus/heldout.txt';

/** The example of the article the demo follows; its time is written as no training exchange writes one. */
const ARTICLE_EXAMPLE = { utterance: 'Book a table at 7pm for two', answer: 'book_table(party=two, time=7pm)' };

const EXCHANGE = /^(Extract the intent: '.*' ->) (.+)$/;

function exchanges(corpusFile: string): { text: string; baseline: string }[] {
  return readFileSync(corpusFile, 'utf8')
    .split('\n')
    .flatMap((line) => {
      const match = EXCHANGE.exec(line);
      return match ? [{ text: match[1]!, baseline: match[2]! }] : [];
    });
}

/**
 * Intent-extraction prompts in the format the demo decoder was trained on,
 * "Extract the intent: '<utterance>' ->", each with the expected answer
 * "intent(slot=value, ...)" as its recorded baseline: the article's example,
 * then the held-out exchanges whose prompt occurs nowhere in the training
 * corpus (the templates are few, so most held-out utterances were also
 * drawn for training), in their order.
 */
export function decoderPromptExamples(
  count: number,
  corpus = { training: TRAINING_CORPUS, heldOut: HELD_OUT_CORPUS },
): { id: string; text: string; baseline: string }[] {
  const seen = new Set(exchanges(corpus.training).map((e) => e.text));
  const unseen = exchanges(corpus.heldOut).filter((e) => !seen.has(e.text));
  const all = [{ text: `Extract the intent: '${ARTICLE_EXAMPLE.utterance}' ->`, baseline: ARTICLE_EXAMPLE.answer }, ...unseen];
  if (all.length < count)
    throw new RangeError(`${corpus.heldOut} holds ${unseen.length} intent-extraction exchanges not in ${corpus.training}; the demo needs ${count - 1}`);
  return all.slice(0, count).map((example, i) => ({ id: `prompt-${String(i).padStart(4, '0')}`, ...example }));
}
