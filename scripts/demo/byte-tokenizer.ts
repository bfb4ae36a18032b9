/**
 * A Hugging Face tokenizer.json for the synthetic test decoder's (decoder.ts) byte vocabulary: byte-level
 * BPE (GPT-2's pre-tokenizer and decoder) with no merges, so token id i is byte i.
 * Tests thus load its tokenizer the way a real export's is loaded.
 */
export function byteLevelTokenizerJson(): Record<string, unknown> {
  const table = bytesToUnicode();
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(table.map((character, byte) => [character, byte])),
      merges: [],
    },
  };
}

/** GPT-2's bytes_to_unicode: printable bytes stand for themselves, the others for code points from U+0100 on. */
function bytesToUnicode(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const table: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable(b) ? b : 256 + shifted++);
  return table;
}
