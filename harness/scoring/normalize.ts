/**
 * Answer normalisation of the SQuAD evaluation script (Rajpurkar et al. 2016,
 * normalize_answer): lowercase, drop punctuation, drop the articles a, an and
 * the, collapse whitespace. Two additions for text that is not plain ASCII:
 * Unicode NFKC first, so full-width letters, ligatures and compatibility forms
 * compare equal to their plain spellings, and every Unicode punctuation or
 * symbol character counts as punctuation, not only ASCII's.
 */

const PUNCTUATION_OR_SYMBOL = /[\p{P}\p{S}]/gu;
const ARTICLES = new Set(['a', 'an', 'the']);

/** The tokens of a normalised answer; none for an answer that is only punctuation and articles. */
export function answerTokens(text: string): string[] {
  return (
    text
      .normalize('NFKC')
      .toLowerCase()
      // Removed, not replaced by a space, as SQuAD does: "don't" becomes "dont".
      .replace(PUNCTUATION_OR_SYMBOL, '')
      .split(/\s+/u)
      // Filtering whole tokens rather than SQuAD's \b regex keeps "thé" intact; on ASCII the two agree.
      .filter((token) => token !== '' && !ARTICLES.has(token))
  );
}

export function normalizeAnswer(text: string): string {
  return answerTokens(text).join(' ');
}
