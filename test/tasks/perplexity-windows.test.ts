import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { slidingWindows } from '../../harness/tasks/perplexity-windows.ts';

describe('slidingWindows', () => {
  it('cuts as the Hugging Face perplexity guide: each window scores only the tokens past the previous end', () => {
    const ids = Array.from({ length: 10 }, (_, i) => i);
    expect(slidingWindows(ids, 4, 2)).toEqual([
      { start: 0, tokens: [0, 1, 2, 3], scoredFrom: 1 },
      { start: 2, tokens: [2, 3, 4, 5], scoredFrom: 2 },
      { start: 4, tokens: [4, 5, 6, 7], scoredFrom: 2 },
      { start: 6, tokens: [6, 7, 8, 9], scoredFrom: 2 },
    ]);
    // Disjoint windows: a window's first token has no context inside it and is not scored (as in the guide).
    expect(slidingWindows(ids, 4, 4)).toEqual([
      { start: 0, tokens: [0, 1, 2, 3], scoredFrom: 1 },
      { start: 4, tokens: [4, 5, 6, 7], scoredFrom: 1 },
      { start: 8, tokens: [8, 9], scoredFrom: 1 },
    ]);
  });

  it('with overlapping windows, scores every token after the first exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 200 }), fc.integer({ min: 2, max: 40 }), fc.integer({ min: 1, max: 40 }), (n, context, strideRaw) => {
        const stride = Math.min(strideRaw, context - 1);
        const ids = Array.from({ length: n }, (_, i) => i);
        const scored = slidingWindows(ids, context, stride).flatMap((w) => w.tokens.slice(w.scoredFrom));
        expect(scored).toEqual(ids.slice(1));
      }),
    );
  });

  it('refuses a stride longer than the context', () => {
    expect(() => slidingWindows([1, 2, 3], 2, 3)).toThrow(/stride 3/);
  });
});
