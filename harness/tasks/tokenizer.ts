import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ConfigError } from '../config/errors.ts';
import { readBoundedFileSync } from '../config/read-bounded-file.ts';

export interface TextTokenizer {
  file: string;
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** End-of-sequence ids from generation_config.json / config.json / tokenizer_config.json beside tokenizer.json. */
  eosTokenIds: number[];
}

/** The usual places: beside the model, or one folder up (the Hugging Face layout keeps weights in onnx/). */
export function findTokenizerFile(modelPath: string): string | undefined {
  return [join(dirname(modelPath), 'tokenizer.json'), join(dirname(modelPath), '..', 'tokenizer.json')].find((f) => existsSync(f));
}

/** Loads a Hugging Face tokenizer.json (and tokenizer_config.json when present) with the tokenizers.js library. */
export function loadTokenizer(file: string, referencedFrom: string): TextTokenizer {
  const folder = dirname(file);
  const readJson = (name: string): Record<string, unknown> | undefined => {
    const path = join(folder, name);
    if (!existsSync(path)) return undefined;
    // Any size (tokenizers of large vocabularies run to tens of MB), but a regular file: a FIFO or a device would never end.
    try {
      return JSON.parse(readBoundedFileSync(path, { what: 'tokenizer file' }).toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(path, undefined, `not valid JSON (${(error as Error).message})`, 'restore the file from the model repository');
    }
  };
  if (!existsSync(file))
    throw new ConfigError(referencedFrom, 'generation.tokenizer', `tokenizer ${file} not found`, "point generation.tokenizer at the model's tokenizer.json");
  const config = readJson('tokenizer_config.json') ?? {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(readJson('tokenizer.json')!, config);
  } catch (error) {
    throw new ConfigError(
      file,
      undefined,
      `cannot load the tokenizer (${(error as Error).message})`,
      'use a tokenizer.json saved by Hugging Face tokenizers or transformers',
    );
  }
  const eos = readJson('generation_config.json')?.eos_token_id ?? readJson('config.json')?.eos_token_id;
  const eosFromConfig = typeof config.eos_token === 'string' ? tokenizer.token_to_id(config.eos_token) : undefined;
  const eosTokenIds = (Array.isArray(eos) ? eos : eos !== undefined ? [eos] : eosFromConfig !== undefined ? [eosFromConfig] : []).map(Number);
  return {
    file,
    encode: (text) => tokenizer.encode(text, { add_special_tokens: true }).ids,
    decode: (ids) => tokenizer.decode([...ids], { skip_special_tokens: true }),
    eosTokenIds,
  };
}
