import { describe, expect, it } from 'vitest';
import { parseCall, slotScore } from '../../harness/scoring/slots.ts';
import { bootstrapInterval, bootstrapMeanInterval } from '../../harness/stats/bootstrap.ts';

const expected = (text: string) => parseCall(text)!;

describe('slot F1 of answers written as calls', () => {
  it('parses a call into its intent and normalised slot=value pairs, and refuses free text', () => {
    expect(parseCall('book_table(party=two, time=7pm)')).toEqual({ intent: 'book_table', slots: ['party=two', 'time=7pm'] });
    expect(parseCall(' weather( city = The Madrid ,day=Monday. ) ')).toEqual({ intent: 'weather', slots: ['city=madrid', 'day=monday'] });
    expect(parseCall('set_alarm()')).toEqual({ intent: 'set_alarm', slots: [] });
    expect(parseCall('I would book a table')).toBeUndefined();
    expect(parseCall('book_table(party=two, time=')).toBeUndefined();
  });

  it('micro-averages over every pair, as CoNLL / seqeval span F1 does (a hand-counted example)', () => {
    const score = slotScore([
      // 2 of 2 right.
      { exampleId: 'a', predicted: 'book_table(party=two, time=7pm)', expected: expected('book_table(party=two, time=7pm)') },
      // 1 of 3 expected found, 1 wrong predicted, wrong intent.
      { exampleId: 'b', predicted: 'weather(city=paris, day=monday)', expected: expected('forecast(city=madrid, day=monday, time=9)') },
      // Not a call: predicts nothing, 1 expected missed.
      { exampleId: 'c', predicted: 'call alex', expected: expected('call(contact=alex)') },
    ]);
    // matched 2 + 1 + 0 = 3; predicted 2 + 2 + 0 = 4; expected 2 + 3 + 1 = 6.
    expect(score.precision).toBeCloseTo(3 / 4, 12);
    expect(score.recall).toBeCloseTo(3 / 6, 12);
    expect(score.f1).toBeCloseTo((2 * 3) / (4 + 6), 12);
    expect(score.intentAccuracy).toBeCloseTo(1 / 3, 12);
    expect(score.perExample).toEqual([
      { exampleId: 'a', matched: 2, predicted: 2, expected: 2, intentMatched: true },
      { exampleId: 'b', matched: 1, predicted: 2, expected: 3, intentMatched: false },
      { exampleId: 'c', matched: 0, predicted: 0, expected: 1, intentMatched: false },
    ]);
    expect(score.ci95.lower).toBeLessThanOrEqual(score.f1);
    expect(score.ci95.upper).toBeGreaterThanOrEqual(score.f1);
  });

  it('counts a repeated pair once per occurrence, and scores exact agreement 1 with a degenerate interval', () => {
    const twice = slotScore([{ exampleId: 'a', predicted: 'f(x=1, x=1)', expected: expected('f(x=1)') }]);
    expect(twice).toMatchObject({ precision: 0.5, recall: 1 });
    const all = slotScore([{ exampleId: 'a', predicted: 'f(x=1)', expected: expected('f(x=1)') }]);
    expect(all).toMatchObject({ f1: 1, ci95: { lower: 1, upper: 1 }, intentAccuracy: 1 });
  });

  it('resamples as the mean bootstrap does: the same seed gives the mean interval to the last digit', () => {
    const values = [0.1, 0.5, 0.9, 0.3, 0.7];
    expect(bootstrapInterval(values.length, (indices) => indices.reduce((sum, i) => sum + values[i]!, 0) / values.length)).toEqual(
      bootstrapMeanInterval(values),
    );
  });
});
