import { describe, expect, it } from 'vitest';
import { answerF1, exactMatch, labelAccuracy, tokenF1 } from '../../harness/scoring/agreement.ts';
import { bootstrapMeanInterval } from '../../harness/stats/bootstrap.ts';
import { wilsonInterval } from '../../harness/stats/wilson.ts';

const pair = (exampleId: string, predicted: string, expected: string) => ({ exampleId, predicted, expected });

describe('labelAccuracy', () => {
  it('counts exact label matches, case and spaces included', () => {
    const score = labelAccuracy([
      pair('a', 'billing', 'billing'),
      pair('b', 'Billing', 'billing'),
      pair('c', 'refund', 'refund'),
      pair('d', 'refund ', 'refund'),
      pair('e', 'other', 'other'),
    ]);
    expect(score).toMatchObject({ metric: 'accuracy', n: 5, value: 0.6 });
    expect(score.perExample).toEqual([
      { exampleId: 'a', score: 1 },
      { exampleId: 'b', score: 0 },
      { exampleId: 'c', score: 1 },
      { exampleId: 'd', score: 0 },
      { exampleId: 'e', score: 1 },
    ]);
    expect(score.ci95).toEqual(wilsonInterval(3, 5));
    expect(score.method).toMatch(/Wilson score interval/);
  });

  it('gives the Wilson interval for 81 of 263', () => {
    const pairs = Array.from({ length: 263 }, (_, i) => pair(`x${i}`, i < 81 ? 'yes' : 'no', 'yes'));
    const score = labelAccuracy(pairs);
    expect(score.value).toBeCloseTo(81 / 263, 12);
    expect(score.ci95.lower).toBeCloseTo(0.2553, 4);
    expect(score.ci95.upper).toBeCloseTo(0.3662, 4);
  });

  it('refuses an empty set of examples', () => {
    expect(() => labelAccuracy([])).toThrow(RangeError);
    expect(() => labelAccuracy([])).toThrow(/accuracy needs at least one example/);
  });
});

describe('exactMatch', () => {
  it('compares answers after SQuAD normalisation', () => {
    const score = exactMatch([
      pair('a', 'The Eiffel Tower.', 'eiffel tower'),
      pair('b', 'Paris', 'Paris, France'),
      pair('c', 'ＰＡＲＩＳ', 'paris'),
      pair('d', '42', '42.0'),
    ]);
    expect(score.perExample.map((e) => e.score)).toEqual([1, 0, 1, 0]);
    expect(score).toMatchObject({ metric: 'exact-match', n: 4, value: 0.5, ci95: wilsonInterval(2, 4) });
    expect(() => exactMatch([])).toThrow(/exact-match/);
  });
});

describe('answerF1 (SQuAD token F1)', () => {
  it('scores "the cat sat" against "cat sat down" as 0.8', () => {
    // Tokens after normalisation: [cat, sat] vs [cat, sat, down]; 2 shared, precision 1, recall 2/3, F1 = 2 * (2/3) / (5/3).
    expect(answerF1('the cat sat', 'cat sat down')).toBeCloseTo(0.8, 12);
    expect(answerF1('cat sat down', 'the cat sat')).toBeCloseTo(0.8, 12);
  });

  it('counts shared tokens as a multiset', () => {
    // One "cat" shared: precision 1/3, recall 1, F1 = 0.5.
    expect(answerF1('cat cat cat', 'cat')).toBeCloseTo(0.5, 12);
    expect(answerF1('cat dog', 'dog cat')).toBe(1);
  });

  it('scores empty answers as SQuAD v2 does', () => {
    expect(answerF1('The', 'an')).toBe(1);
    expect(answerF1('', 'cat')).toBe(0);
    expect(answerF1('cat', '...')).toBe(0);
    expect(answerF1('dog', 'cat')).toBe(0);
  });
});

describe('tokenF1', () => {
  it('averages per-example F1 with a bootstrap interval', () => {
    const score = tokenF1([pair('a', 'the cat sat', 'cat sat down'), pair('b', 'Paris', 'paris'), pair('c', 'dog', 'cat')]);
    expect(score.metric).toBe('token-f1');
    expect(score.n).toBe(3);
    expect(score.value).toBeCloseTo(0.6, 12);
    expect(score.perExample.map((e) => e.exampleId)).toEqual(['a', 'b', 'c']);
    expect(score.perExample[0]!.score).toBeCloseTo(0.8, 12);
    expect(score.ci95).toEqual(bootstrapMeanInterval(score.perExample.map((e) => e.score)));
    expect(score.ci95.lower).toBeLessThan(0.6);
    expect(score.ci95.upper).toBeGreaterThan(0.6);
    expect(score.method).toMatch(/bootstrap/);
  });

  it('is the same on every run', () => {
    const pairs = Array.from({ length: 30 }, (_, i) => pair(`x${i}`, i % 3 === 0 ? 'red apple' : 'apple', 'the red apple'));
    expect(tokenF1(pairs)).toEqual(tokenF1(pairs));
  });

  it('refuses an empty set of examples', () => {
    expect(() => tokenF1([])).toThrow(/token-f1 needs at least one example/);
  });
});
