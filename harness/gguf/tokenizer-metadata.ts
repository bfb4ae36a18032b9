import { z } from 'zod';
import type { MetadataValue } from './gguf-file.ts';

const TokenizerJson = z.looseObject({
  model: z.looseObject({
    type: z.string(),
    vocab: z.record(z.string(), z.number().int().nonnegative()),
    merges: z.array(z.union([z.string(), z.tuple([z.string(), z.string()])])).default([]),
    byte_fallback: z.boolean().nullish(),
    unk_token: z.string().nullish(),
  }),
  pre_tokenizer: z.looseObject({ type: z.string() }).nullish(),
  decoder: z.looseObject({ type: z.string() }).nullish(),
  added_tokens: z.array(z.looseObject({ id: z.number().int(), content: z.string(), special: z.boolean().default(false) })).default([]),
});

/** llama_token_type (llama.cpp): how each vocabulary entry is treated. */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, byte: 6 } as const;

/**
 * The tokenizer.ggml.* keys for a Hugging Face tokenizer.json: the vocabulary
 * in id order (ids the file skips become [PAD<id>] entries, so the list is as
 * long as the embedding), token types, and BPE merges. A byte-level BPE is
 * llama.cpp's "gpt2" model with the "default" pre-tokenizer; a SentencePiece
 * BPE with byte fallback is its "llama" model. The harness feeds token ids, so
 * llama.cpp's own tokenizer only needs to load, not to match.
 */
export function tokenizerMetadata(tokenizerJson: unknown, vocabularySize: number, special: { bos?: number; eos?: number }): Map<string, MetadataValue> {
  const tokenizer = TokenizerJson.parse(tokenizerJson);
  if (tokenizer.model.type !== 'BPE') {
    throw new Error(
      `tokenizer.json has a ${tokenizer.model.type} model: GGUF conversion writes BPE tokenizers (byte-level or SentencePiece with byte fallback)`,
    );
  }
  const byteLevel = tokenizer.pre_tokenizer?.type === 'ByteLevel' || tokenizer.decoder?.type === 'ByteLevel';
  const tokens: string[] = Array.from({ length: vocabularySize }, (_, id) => `[PAD${id}]`);
  const types: number[] = new Array<number>(vocabularySize).fill(TOKEN_TYPE.userDefined);
  for (const [text, id] of Object.entries(tokenizer.model.vocab)) {
    if (id >= vocabularySize) continue;
    tokens[id] = text;
    types[id] = !byteLevel && /^<0x[0-9A-F]{2}>$/.test(text) ? TOKEN_TYPE.byte : text === tokenizer.model.unk_token ? TOKEN_TYPE.unknown : TOKEN_TYPE.normal;
  }
  for (const added of tokenizer.added_tokens) {
    if (added.id >= vocabularySize) continue;
    tokens[added.id] = added.content;
    types[added.id] = added.special ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined;
  }
  const merges = tokenizer.model.merges.map((merge) => (typeof merge === 'string' ? merge : merge.join(' ')));
  const metadata = new Map<string, MetadataValue>([
    ['tokenizer.ggml.model', { type: 'string', value: byteLevel ? 'gpt2' : 'llama' }],
    ...(byteLevel ? ([['tokenizer.ggml.pre', { type: 'string', value: 'default' }]] as const) : []),
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', values: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', values: types }],
    ...(byteLevel ? [] : ([['tokenizer.ggml.scores', { type: 'array', itemType: 'float32', values: tokens.map((_, id) => -id) }]] as const)),
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', values: merges }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ]);
  if (special.bos !== undefined) metadata.set('tokenizer.ggml.bos_token_id', { type: 'uint32', value: special.bos });
  if (special.eos !== undefined) metadata.set('tokenizer.ggml.eos_token_id', { type: 'uint32', value: special.eos });
  return metadata;
}
