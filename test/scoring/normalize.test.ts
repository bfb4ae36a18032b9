import { describe, expect, it } from 'vitest';
import { answerTokens, normalizeAnswer } from '../../harness/scoring/normalize.ts';

describe('normalizeAnswer (SQuAD normalize_answer plus NFKC)', () => {
  it('lowercases, drops punctuation and articles, collapses whitespace', () => {
    expect(normalizeAnswer('The Eiffel Tower.')).toBe('eiffel tower');
    expect(normalizeAnswer('  A   quick\tbrown\nfox  ')).toBe('quick brown fox');
    expect(normalizeAnswer('Anne of the Island')).toBe('anne of island');
  });

  it('removes punctuation without leaving a gap, as SQuAD does', () => {
    expect(normalizeAnswer("don't")).toBe('dont');
    expect(normalizeAnswer('well-known')).toBe('wellknown');
    expect(normalizeAnswer('$5')).toBe('5');
  });

  it('treats Unicode punctuation like ASCII punctuation', () => {
    expect(normalizeAnswer('«Bonjour» — dit-il…')).toBe('bonjour ditil');
    expect(normalizeAnswer('“quoted”')).toBe('quoted');
  });

  it('folds compatibility forms with NFKC', () => {
    expect(normalizeAnswer('ＡＢＣ')).toBe('abc');
    expect(normalizeAnswer('ﬁle')).toBe('file');
    expect(normalizeAnswer('Chapter Ⅻ')).toBe('chapter xii');
    expect(normalizeAnswer('café')).toBe(normalizeAnswer('cafe\u0301'));
  });

  it('removes only whole articles', () => {
    expect(normalizeAnswer('theatre and anthem')).toBe('theatre and anthem');
    expect(normalizeAnswer('An apple')).toBe('apple');
    expect(normalizeAnswer('Thé vert')).toBe('thé vert');
  });

  it('leaves nothing of an answer made of articles and punctuation', () => {
    expect(normalizeAnswer('The!')).toBe('');
    expect(answerTokens(' a, an; the ')).toEqual([]);
  });
});

describe('answerTokens', () => {
  it('splits the normalised answer into tokens', () => {
    expect(answerTokens('the cat sat')).toEqual(['cat', 'sat']);
    expect(answerTokens('Cat  sat, down.')).toEqual(['cat', 'sat', 'down']);
  });
});
