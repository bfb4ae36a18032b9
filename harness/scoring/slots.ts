import type { z } from 'zod';
import type { SlotScoreSchema } from '../core/quality.ts';
import { bootstrapInterval, DEFAULT_BOOTSTRAP_RESAMPLES, DEFAULT_BOOTSTRAP_SEED } from '../stats/bootstrap.ts';
import { sharedCount } from './agreement.ts';
import { normalizeAnswer } from './normalize.ts';

export type SlotScore = z.infer<typeof SlotScoreSchema>;

/** An answer written as a call: `book_table(party=two, time=7pm)`. */
export interface Call {
  intent: string;
  /** `slot=value` pairs, each side normalised as SQuAD normalises answers. */
  slots: string[];
}

const CALL = /^\s*([^()\s]+)\s*\(([^()]*)\)\s*$/;

/** The call an answer holds, or undefined when it is not one (free text, a cut-off generation). */
export function parseCall(text: string): Call | undefined {
  const found = CALL.exec(text);
  if (!found) return undefined;
  const slots = found[2]!
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? `${normalizeAnswer(part)}=` : `${normalizeAnswer(part.slice(0, at))}=${normalizeAnswer(part.slice(at + 1))}`;
    });
  return { intent: found[1]!, slots };
}

const f1Of = (matched: number, predicted: number, expected: number) => (predicted + expected === 0 ? 1 : (2 * matched) / (predicted + expected));

/**
 * Slot F1 as slot-filling results report it (the CoNLL-2000 chunking F1 that seqeval computes, used for ATIS and
 * SNIPS): over every example, the (slot, value) pairs of the answer against the baseline's; precision = shared /
 * predicted, recall = shared / expected, F1 their harmonic mean, micro-averaged (summed over examples first). A
 * pair matches when slot and value are equal after SQuAD normalisation; an answer that is not a call predicts no
 * pair. The intent is scored apart, as intent accuracy. 95% CI: percentile bootstrap over examples.
 */
export function slotScore(pairs: readonly { exampleId: string; predicted: string; expected: Call }[]): SlotScore {
  if (pairs.length === 0) throw new RangeError('slot F1 needs at least one example');
  const perExample = pairs.map(({ exampleId, predicted, expected }) => {
    const call = parseCall(predicted);
    const matched = sharedCount(call?.slots ?? [], expected.slots);
    return { exampleId, matched, predicted: call?.slots.length ?? 0, expected: expected.slots.length, intentMatched: call?.intent === expected.intent };
  });
  const micro = (indices: Iterable<number>) => {
    let matched = 0;
    let predicted = 0;
    let expected = 0;
    for (const i of indices) {
      matched += perExample[i]!.matched;
      predicted += perExample[i]!.predicted;
      expected += perExample[i]!.expected;
    }
    return { matched, predicted, expected };
  };
  const all = micro(perExample.keys());
  return {
    n: pairs.length,
    f1: f1Of(all.matched, all.predicted, all.expected),
    precision: all.predicted === 0 ? 0 : all.matched / all.predicted,
    recall: all.expected === 0 ? 1 : all.matched / all.expected,
    ci95: bootstrapInterval(perExample.length, (indices) => {
      const sample = micro(indices);
      return f1Of(sample.matched, sample.predicted, sample.expected);
    }),
    intentAccuracy: perExample.filter((e) => e.intentMatched).length / perExample.length,
    definition: `answers parsed as intent(slot=value, ...); slot F1 micro-averaged over every (slot, value) pair, slot and value compared after SQuAD normalisation (CoNLL-2000 / seqeval span F1); an answer that is not a call predicts no pair; 95% CI: percentile bootstrap over examples (Efron & Tibshirani 1993), ${DEFAULT_BOOTSTRAP_RESAMPLES} resamples, seed ${DEFAULT_BOOTSTRAP_SEED}`,
    perExample,
  };
}
