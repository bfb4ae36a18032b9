/** A window of the corpus's tokens, and where in it the tokens it scores begin. */
export interface TokenWindow {
  /** Index of the window's first token in the corpus. */
  start: number;
  tokens: number[];
  /** Index in `tokens` of the first scored token: tokens before it are context only. */
  scoredFrom: number;
}

/**
 * Sliding windows of `context` tokens, `stride` apart, as the Hugging Face
 * guide "Perplexity of fixed-length models" cuts them (and llama-perplexity
 * with --ppl-stride): each window scores only the tokens past the end of the
 * one before. With overlapping windows (stride < context) every token after
 * the first is scored exactly once, with at least context − stride tokens
 * before it; with disjoint windows (stride = context) a window's first token
 * has no context inside it and is not scored, as in the guide.
 */
export function slidingWindows(ids: readonly number[], context: number, stride: number): TokenWindow[] {
  if (!(stride >= 1 && stride <= context)) throw new RangeError(`stride ${stride} must be between 1 and the context (${context})`);
  const windows: TokenWindow[] = [];
  let previousEnd = 0;
  for (let start = 0; start < ids.length; start += stride) {
    const end = Math.min(start + context, ids.length);
    const firstTarget = Math.max(previousEnd, start + 1);
    if (end > firstTarget) windows.push({ start, tokens: ids.slice(start, end), scoredFrom: firstTarget - start });
    previousEnd = end;
    if (end === ids.length) break;
  }
  return windows;
}
